/** Messages of the handlers and streams on named connections (server/connection-groups.ts). */

export const cronOnNamedConnection = (subject: string, connection: string): string =>
  `@JetStreamCron('${subject}') names connection "${connection}": cron jobs run on the default connection only (their schedules live in the service's own stream). Remove the connection option, or publish to "${connection}" from the cron handler.`;

export const streamOnUnknownConnection = (stream: string): string => `streams["${stream}"]`;

export const namedGroupFailed = (connection: string, why: string): string =>
  `The handlers on connection "${connection}" could not start: ${why}. The handlers on the other connections run; fix the cause and restart the service to start these.`;

export const replayOnNamedConnection = (subject: string, connection: string): string =>
  `replay('${subject}'): the handler is on connection "${connection}", which is not up now; replay once it is (connections.report() says when).`;
