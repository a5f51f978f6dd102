/** Messages of the handlers and streams on named connections (server/connection-groups.ts). */

export const cronOnNamedConnection = (subject: string, connection: string): string =>
  `@JetStreamCron('${subject}') names connection "${connection}": cron jobs run on the default connection only (their schedules live in the service's own stream). Remove the connection option, or publish to "${connection}" from the cron handler.`;

export const streamOnUnknownConnection = (stream: string): string => `streams["${stream}"]`;

export const namedGroupFailed = (connection: string, why: string, retryInMs: number): string =>
  `The handlers on connection "${connection}" could not start: ${why}. The handlers on the other connections run; these are tried again in ${Math.round(retryInMs / 1000)} s (and after, with growing waits up to ${NAMED_GROUP_RETRY.maxMs / 1000} s) until they start.`;

/** The back-off of a non-critical connection's handlers that failed to start (provisioning refused, the connection lost mid-way). */
export const NAMED_GROUP_RETRY = { firstMs: 1_000, maxMs: 30_000 } as const;

export const replayOnNamedConnection = (subject: string, connection: string): string =>
  `replay('${subject}'): the handler is on connection "${connection}", which is not up now; replay once it is (connections.report() says when).`;
