import { JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { pinDetails } from '../priority/pin-tracker.js';
import { describeError } from '../settlement/settle-policy.js';
import { toMillis } from '../utils/duration.js';
import { ageMs, oldestUnprocessed } from '../utils/oldest-unprocessed.js';
import { down, up, within, type HealthSettings } from './health-checks.js';
import type { HealthSource, NamedHandlersHealth } from './health-source.js';
import type { HealthCheckResult } from './health.types.js';

/** Signal 6: each consumer's backlog (count and age of the oldest unprocessed message) within tolerance. */
export async function checkConsumers(source: HealthSource, s: HealthSettings): Promise<HealthCheckResult> {
  const name = 'jetstream.consumers';
  const conn = source.connection();
  const named = namedHandlersOf(source);
  const reads = consumerReads(source, conn?.jsm, named);
  const leftBehind = await leftBehindDetails(source, s);
  const notUp = [...named.values()].filter((n) => n.jsm === undefined);
  // Handlers on the default connection while it is not there: nothing to read them through, so the check is down below.
  const unreadDefault = !conn && source.consumers().some((c) => c.connection === undefined);
  if (reads.length === 0 && notUp.length === 0 && !unreadDefault) return up(name, { consumers: 0, ...leftBehind });
  if (!conn) return down(name, `${source.who} is not connected.`);
  const details: Record<string, unknown> = { ...leftBehind };
  const problems: string[] = [];
  const degraded = notUp.filter((n) => !n.critical).map((n) => ({ connection: n.connection, handlers: n.subjects }));
  if (degraded.length > 0) details.degraded = degraded;
  for (const n of notUp.filter((x) => x.critical))
    problems.push(`the handlers on critical connection "${n.connection}" (${n.subjects.map((x) => `"${x}"`).join(', ')}) are not consuming: it is not up`);
  const leaderless: { consumer: string; forMs?: number }[] = [...(source.waitingForLeader?.() ?? [])];
  for (const w of leaderless)
    problems.push(
      `${w.consumer} waits for a leader: no server answered for it with a leader for ${Math.round(w.forMs! / 1000)} s (an election, or a node cut off from the majority; the connection moves to another server when its own lost the leader)`,
    );
  // What this check's own request finds: an answer without a leader, or JetStream's 503 (no leader to answer).
  const noLeader = (key: string, what: string) => {
    if (leaderless.some((w) => w.consumer === key)) return;
    leaderless.push({ consumer: key });
    problems.push(`${key} waits for a leader: ${what}`);
  };
  await Promise.all(
    reads.map(async ({ consumer: c, jsm }) => {
      const key = `${c.stream}/${c.durable}`;
      if (c.stoppedAt) {
        problems.push(
          `ordered handler "${c.subject}" stopped at ${c.stream} #${c.stoppedAt.streamSequence} (${c.stoppedAt.reason}): restart the service once the cause is fixed, or give the handler a deadLetter route`,
        );
        return;
      }
      try {
        const info = await within(jsm.consumers.info(c.stream, c.durable), s.timeoutMs, `consumer info of ${key}`);
        if (info.cluster && !info.cluster.leader) noLeader(key, 'its consumer info names no leader (an election, or a node cut off from the majority)');
        // Paused on purpose (consumer-control/): its backlog grows by design, so it is reported, not counted as lag.
        if (info.paused)
          return void (details[key] = { paused: true, pausedUntil: info.config.pause_until, pending: info.num_pending, ackPending: info.num_ack_pending });
        const unprocessed = info.num_pending + info.num_ack_pending;
        const oldestAgeMs = ageMs(await oldestUnprocessed(jsm, c.stream, c.subject, info));
        const maxPending = c.lag?.maxPending ?? s.maxPending;
        const maxAgeMs = c.lag?.maxAge !== undefined ? toMillis(c.lag.maxAge, `${key} lag.maxAge`) : s.maxAgeMs;
        details[key] = { pending: info.num_pending, ackPending: info.num_ack_pending, redelivered: info.num_redelivered, oldestUnprocessedAgeMs: oldestAgeMs };
        if (c.pin) details[key] = { ...(details[key] as object), pin: pinDetails(c.pin, info) };
        if (unprocessed > maxPending) problems.push(`${key} has ${unprocessed} unprocessed messages (more than ${maxPending})`);
        if (oldestAgeMs > maxAgeMs)
          problems.push(`${key}'s oldest unprocessed message is ${Math.round(oldestAgeMs / 1000)} s old (more than ${Math.round(maxAgeMs / 1000)} s)`);
      } catch (err) {
        const on = c.connection === undefined ? undefined : named.get(c.connection);
        // A non-critical connection lost since: its handlers wait for it, the service stays ready.
        if (on && !on.critical && !isUp(source, on.connection))
          return void (details.degraded = [...((details.degraded as object[] | undefined) ?? []), { connection: on.connection, handlers: [c.subject] }]);
        if (err instanceof JetStreamApiError && err.status === 503) noLeader(key, `JetStream answered ${describeError(err)}`);
        else problems.push(`${key}: ${describeError(err)}`);
      }
    }),
  );
  if (leaderless.length) details.waitingForLeader = leaderless;
  const fix = leaderless.length
    ? 'Wait for the election; if it lasts, look at the routes between the servers and their /jsz (a stream needs a majority of its replicas)'
    : 'The handlers are slower than the traffic, stopped, or failing: scale out, raise concurrency, or look at the handler errors';
  return problems.length ? down(name, `${problems.join('; ')}. ${fix}.`, details) : up(name, details);
}

type HealthConsumer = ReturnType<HealthSource['consumers']>[number];

/**
 * Each consumer paired with the JetStream of the connection its handler is on: the default one's
 * (`defaultJsm`), or its named connection's while that is up. A consumer whose connection is not up
 * is left out (the check reports that connection instead): none is ever read through another server.
 */
function consumerReads(
  source: HealthSource,
  defaultJsm: JetStreamManager | undefined,
  named: Map<string, NamedHandlersHealth>,
): { consumer: HealthConsumer; jsm: JetStreamManager }[] {
  return source.consumers().flatMap((consumer) => {
    const jsm = consumer.connection === undefined ? defaultJsm : named.get(consumer.connection)?.jsm;
    return jsm ? [{ consumer, jsm }] : [];
  });
}

/** The named connections with handlers (a server's), by name. */
function namedHandlersOf(source: HealthSource): Map<string, NamedHandlersHealth> {
  return new Map((source.namedHandlers?.() ?? []).map((n) => [n.connection, n]));
}

/** Whether named connection `name` is up now, as the connections report says. */
function isUp(source: HealthSource, name: string): boolean {
  return source.namedConnections?.()?.connections.find((c) => c.name === name)?.state === 'up';
}

/**
 * The service's durables that no handler uses, listed under `leftBehind` with the command that
 * removes each: they hold messages, but do not make this service unready.
 */
async function leftBehindDetails(source: HealthSource, s: HealthSettings): Promise<Record<string, unknown>> {
  if (!source.leftBehind || !source.connection()) return {};
  try {
    const scan = await within(source.leftBehind(), s.timeoutMs, 'the consumer lists of the streams');
    if (scan.consumers.length === 0) return {};
    return {
      leftBehind: scan.consumers.map((c) => ({
        consumer: `${c.stream}/${c.consumer}`,
        ...(c.connection !== undefined && { connection: c.connection }),
        pending: c.pending,
        ackPending: c.ackPending,
        inUse: c.inUse,
        remove: c.remove,
      })),
    };
  } catch (err) {
    return { leftBehindUnknown: describeError(err) };
  }
}
