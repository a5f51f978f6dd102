import {
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  type StreamInfo,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { describeError } from '../settlement/settle-policy.js';
import { millisToNanos } from '../utils/duration.js';
import type { HealthSource } from './health-source.js';
import type { HealthCheckResult } from './health.types.js';

/** Resolved `health` options, in ms. */
export interface HealthSettings {
  monitorUrl?: string;
  timeoutMs: number;
  maxPending: number;
  maxAgeMs: number;
  deadLetterMaxDepth?: number;
  storageUsageMax: number;
  storageWrite: boolean;
  stream: string;
}

export const up = (name: string, details: Record<string, unknown>): HealthCheckResult => ({ name, status: 'up', details });
export const down = (name: string, message: string, details: Record<string, unknown> = {}): HealthCheckResult => ({ name, status: 'down', message, details });

/** Rejects with a clear error when `promise` takes longer than `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Signals 1 and 2: the server process is there and its client port answers a round trip. */
export async function checkConnection(source: HealthSource, s: HealthSettings): Promise<HealthCheckResult> {
  const name = 'nats.connection';
  const conn = source.connection();
  const status = source.status();
  const notStarted = conn ? undefined : source.notStarted?.();
  if (notStarted) return down(name, notStarted, { status: 'not started' });
  if (!conn || conn.nc.isClosed() || status === 'closed') {
    const why = source.closedReason()?.message ?? `${source.who} has no open NATS connection (status ${status ?? 'not started'})`;
    return down(name, `${why}. Check that nats-server runs and is reachable at connection.servers.`, { status: status ?? 'not started' });
  }
  if (status !== 'connected') return down(name, `${source.who} is ${status}: the NATS server is down or unreachable; it reconnects by itself.`, { status });
  try {
    const rtt = await within(conn.nc.rtt(), s.timeoutMs, 'the NATS round trip (PING)');
    return up(name, { status, server: conn.nc.getServer(), rttMs: rtt });
  } catch (err) {
    return down(name, `The server did not answer a round trip (${describeError(err)}): it is down, overloaded, or the network is slow.`, {
      status,
      server: conn.nc.getServer(),
    });
  }
}

/** Signal 3: the monitoring endpoint's own health, when its URL is given. */
export async function checkMonitoring(s: HealthSettings): Promise<HealthCheckResult> {
  const name = 'nats.monitoring';
  if (!s.monitorUrl) return { name, status: 'not_configured', message: 'health.monitorUrl is not set (e.g. http://nats:8222)', details: {} };
  const url = `${s.monitorUrl.replace(/\/$/, '')}/healthz?js-enabled-only=true`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(s.timeoutMs) });
    const body = await res.text();
    if (res.ok) return up(name, { url, httpStatus: res.status });
    return down(name, `GET ${url} answered ${res.status}: ${body.slice(0, 200)}`, { url, httpStatus: res.status });
  } catch (err) {
    return down(name, `GET ${url} failed: ${describeError(err)}. Check health.monitorUrl and that the server's http port is open to this service.`, { url });
  }
}

/** Signal 4: storage use is below the limits, and (with `storageWrite`) JetStream takes a write (a PubAck from the health stream). */
export async function checkStorage(
  source: HealthSource,
  s: HealthSettings,
  infos: Map<string, StreamInfo | Error>,
  replicas: number,
): Promise<HealthCheckResult> {
  const name = 'jetstream.storage';
  const conn = source.connection();
  if (!conn) return down(name, `${source.who} is not connected.`);
  const subject = healthSubject(source.serviceName);
  try {
    const details: Record<string, unknown> = s.storageWrite
      ? { stream: s.stream, writeMs: await writeHealth(conn, source, s, subject, replicas) }
      : { write: STORAGE_WRITE_OFF };
    const account = await within(conn.jsm.getAccountInfo(), s.timeoutMs, 'JetStream account info');
    const max = account.limits.max_storage;
    if (max > 0) details.accountStorageUsage = account.storage / max;
    const full: string[] = [];
    if (max > 0 && account.storage / max > s.storageUsageMax) full.push(`the account uses ${account.storage} of ${max} bytes`);
    for (const [stream, info] of infos) {
      if (info instanceof Error || !(info.config.max_bytes > 0)) continue;
      const usage = info.state.bytes / info.config.max_bytes;
      details[`streamStorageUsage.${stream}`] = usage;
      if (usage > s.storageUsageMax) full.push(`stream ${stream} uses ${info.state.bytes} of its max_bytes ${info.config.max_bytes}`);
    }
    if (full.length)
      return down(
        name,
        `Storage nearly full (over ${s.storageUsageMax * 100}%): ${full.join('; ')}. Raise the limits, add storage, or shorten retention.`,
        details,
      );
    return up(name, details);
  } catch (err) {
    if (!s.storageWrite)
      return down(
        name,
        `The account's JetStream storage use could not be read ($JS.API.INFO): ${describeError(err)}. Check that JetStream is enabled for this account.`,
      );
    return down(
      name,
      `A write to ${s.stream} (${subject}) failed: ${describeError(err)}. JetStream storage may be full, the stream may have no leader, or (in verify/off) it may not exist.`,
      { stream: s.stream },
    );
  }
}

/** What the storage check's details say when it does not write. */
export const STORAGE_WRITE_OFF = 'off: set health.storageWrite to true to also publish to a health stream';

/** The storage check's write: a publish with PubAck to the health stream (created when missing in create-or-update); its time in ms. */
async function writeHealth(
  conn: { nc: NatsConnection; jsm: JetStreamManager },
  source: HealthSource,
  s: HealthSettings,
  subject: string,
  replicas: number,
): Promise<number> {
  await ensureHealthStream(conn.jsm, source, s.stream, subject, replicas, s.timeoutMs);
  const started = Date.now();
  await jetStreamOf(conn.nc).publish(subject, JSON.stringify({ at: started }), { timeout: s.timeoutMs });
  return Date.now() - started;
}

const clients = new WeakMap<NatsConnection, JetStreamClient>();

/**
 * The storage check's JetStream client, one per connection: it stays valid across the connection's
 * reconnects (nats.js keeps the same connection object); a closed connection's is dropped with it.
 */
function jetStreamOf(nc: NatsConnection): JetStreamClient {
  let js = clients.get(nc);
  if (!js) clients.set(nc, (js = jetstream(nc)));
  return js;
}

/** The subject the storage check publishes to. */
export function healthSubject(serviceName: string): string {
  return `nest-jetstream.health.${serviceName}`;
}

const ensured = new WeakSet<object>();

/** The health stream: one message per subject, file storage; created in create-or-update, required otherwise. */
export async function ensureHealthStream(
  jsm: JetStreamManager,
  source: HealthSource,
  stream: string,
  subject: string,
  replicas: number,
  timeoutMs: number,
): Promise<void> {
  if (ensured.has(jsm)) return;
  try {
    await within(jsm.streams.info(stream), timeoutMs, `stream info of ${stream}`);
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
    if (source.provisioning !== 'create-or-update') {
      throw new Error(
        `stream ${stream} does not exist (provisioning '${source.provisioning}'): create it with subjects ['${subject}'], file storage, max_msgs_per_subject 1, ${replicas} replica(s)`,
      );
    }
    await jsm.streams.add({
      name: stream,
      subjects: [subject],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      max_msgs_per_subject: 1,
      num_replicas: replicas,
      duplicate_window: millisToNanos(1000),
    });
  }
  ensured.add(jsm);
}

/** Signal 5: every stream the app uses has a leader, and its replicas are current. */
export function checkLeaders(infos: Map<string, StreamInfo | Error>): HealthCheckResult {
  const name = 'jetstream.leaders';
  const details: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [stream, info] of infos) {
    if (info instanceof Error) {
      problems.push(`stream ${stream} has no leader answering (${describeError(info)})`);
      details[stream] = { leader: null };
      continue;
    }
    const cluster = info.cluster;
    if (!cluster) {
      details[stream] = { leader: 'single server' };
      continue;
    }
    const lagging = (cluster.replicas ?? []).filter((r) => !r.current || r.offline).map((r) => r.name);
    details[stream] = { leader: cluster.leader ?? null, replicas: (cluster.replicas ?? []).map((r) => ({ name: r.name, current: r.current })) };
    if (!cluster.leader) problems.push(`stream ${stream} has no leader (lost quorum?)`);
    else if (lagging.length) problems.push(`stream ${stream}: replica(s) ${lagging.join(', ')} not current`);
  }
  return problems.length
    ? down(name, `${problems.join('; ')}. See the servers' /jsz and logs; a stream needs a majority of its replicas up.`, details)
    : up(name, details);
}

/** Dead letters: every route has a stream, and their depth (against health.deadLetterMaxDepth when set). */
export async function checkDeadLetters(source: HealthSource, s: HealthSettings): Promise<HealthCheckResult> {
  const name = 'jetstream.dead-letters';
  const subjects = source.deadLetterSubjects();
  if (subjects.length === 0) return { name, status: 'not_configured', message: 'no handler dead-letters', details: {} };
  const missing = source.missingDeadLetterSubjects();
  if (missing.length)
    return down(
      name,
      `Dead-letter subject(s) ${missing.join(', ')} are captured by no stream: failed messages wait in their streams. Declare a dead-letter stream.`,
      { missing },
    );
  const conn = source.connection();
  if (!conn) return down(name, `${source.who} is not connected.`);
  const details: Record<string, unknown> = {};
  const problems: string[] = [];
  const streams = new Set<string>();
  for (const subject of subjects) {
    const stream = await within(conn.jsm.streams.find(subject), s.timeoutMs, `the stream of ${subject}`).catch(() => undefined);
    if (stream) streams.add(stream);
    else problems.push(`no stream captures dead-letter subject ${subject}`);
  }
  for (const stream of streams) {
    const info = await within(conn.jsm.streams.info(stream), s.timeoutMs, `stream info of ${stream}`).catch((err: unknown) => err as Error);
    if (info instanceof Error) {
      problems.push(`dead-letter stream ${stream}: ${describeError(info)}`);
      continue;
    }
    details[stream] = { depth: info.state.messages };
    if (s.deadLetterMaxDepth !== undefined && info.state.messages > s.deadLetterMaxDepth) {
      problems.push(`dead-letter stream ${stream} holds ${info.state.messages} messages (more than ${s.deadLetterMaxDepth})`);
    }
  }
  return problems.length
    ? down(name, `${problems.join('; ')}. Look at the dead letters' Dead-Letter-Reason headers, fix the cause, then redrive them.`, details)
    : up(name, details);
}
