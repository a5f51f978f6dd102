import type { JetStreamManager } from '@nats-io/jetstream';
import type { LoggerService } from '@nestjs/common';
import type { HandlerBinding, UnresolvedBinding } from '../bindings/handler-binding.js';
import { renderDeadLetterSubject } from '../config/dead-letter-subject.js';
import { DEFAULTS, JETSTREAM_CLASS_KEY, JETSTREAM_METHOD_KEY, LEFT_BEHIND_RESCAN_MS } from '../constants.js';
import type { MessageHandler } from '@nestjs/microservices';
import { resolveBinding } from '../bindings/resolve-bindings.js';
import type { JetStreamEventOptions } from '../interfaces/jetstream-event-options.interface.js';
import { ADVISORY_DURABLE, advisoryStreamName, type AdvisoryWatcher } from '../dead-letter/advisory-watcher.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { JetStreamServerOptions } from '../interfaces/jetstream-options.interface.js';
import type { PermissionsPlan } from '../permissions/compute-permissions.js';
import { findLeftBehind, type LeftBehindScan } from '../provisioning/left-behind-consumers.js';
import type { AppView } from './app-view.js';
import { plainEventVerdict } from './plain-event-patterns.js';
import { cronPermissionsPlan } from '../cron/cron-permissions.js';
import { kvBucketsOf } from '../idempotency/kv-permissions.js';
import { onDefaultConnection } from '../connections/streams-by-connection.js';
import { DEFAULT_CONNECTION_NAME } from '../connections/connection-errors.js';

// What a server says about itself, computed from its options and its handlers' bindings: the
// streams and dead-letter subjects it uses, its permissions plan, the consumers it left behind.

/** The streams the app declares or its handlers read. */
export function streamsUsed(options: JetStreamServerOptions, bindings: readonly HandlerBinding[]): string[] {
  return [...new Set([...(options.streams ?? []).map((d) => d.name), ...bindings.map((b) => b.stream)])];
}

/** The handlers' dead-letter subjects, rendered from their templates. */
export function deadLetterSubjectsOf(bindings: readonly HandlerBinding[]): string[] {
  return [...new Set(bindings.flatMap((b) => (b.deadLetter ? [renderDeadLetterSubject(b.deadLetter, b.subject, b.stream, b.durable)] : [])))];
}

/** What a named connection's handlers use, for the plan: its JetStream (once up), its handlers, its dead-letter safety net. */
export interface NamedConnectionFacts {
  readonly connection: string;
  readonly jsm?: JetStreamManager;
  readonly bindings: readonly HandlerBinding[];
  readonly advisories?: AdvisoryWatcher;
}

/** The streams `subjects` land in, as `jsm` finds them (a subject no stream takes is left out). */
async function streamsTaking(jsm: JetStreamManager | undefined, subjects: readonly string[]): Promise<string[]> {
  const streams = new Set<string>();
  for (const subject of subjects) {
    const stream = await jsm?.streams.find(subject).catch(() => undefined);
    if (stream) streams.add(stream);
  }
  return [...streams];
}

function advisoryPlan(serviceName: string, advisories: AdvisoryWatcher | undefined): PermissionsPlan['advisory'] {
  return advisories ? { stream: advisoryStreamName(serviceName), durable: ADVISORY_DURABLE, subjects: advisories.subjects() } : undefined;
}

/** What `permissions()` computes from: the streams, consumers and subjects this app uses (`named`: the handlers on named connections). */
export async function planPermissions(
  jsm: JetStreamManager,
  options: JetStreamServerOptions,
  bindings: readonly HandlerBinding[],
  advisories: AdvisoryWatcher | undefined,
  health: PermissionsPlan['health'],
  publishes: string[],
  named: readonly NamedConnectionFacts[] = [],
): Promise<PermissionsPlan> {
  const serviceName = options.serviceName ?? DEFAULTS.serviceName;
  const all = [...bindings, ...named.flatMap((n) => n.bindings)];
  const deadLetterSubjects = deadLetterSubjectsOf(bindings);
  const deadLetterStreams = await streamsTaking(jsm, deadLetterSubjects);
  const advisory = advisoryPlan(serviceName, advisories);
  type DeadLetters = NonNullable<PermissionsPlan['deadLettersByConnection']>[string];
  const split: Record<string, DeadLetters> = { [DEFAULT_CONNECTION_NAME]: { subjects: deadLetterSubjects, streams: deadLetterStreams, advisory } };
  for (const n of named) {
    const subjects = deadLetterSubjectsOf(n.bindings);
    if (subjects.length > 0)
      split[n.connection] = { subjects, streams: await streamsTaking(n.jsm, subjects), advisory: advisoryPlan(serviceName, n.advisories) };
  }
  const parts = Object.values(split);
  const streamConnections = Object.fromEntries(
    (options.streams ?? []).flatMap((s) => (onDefaultConnection(s.connection) ? [] : [[s.name, s.connection as string]])),
  );
  return {
    streams: streamsUsed(options, all),
    consumers: all.map((b) => ({
      stream: b.stream,
      durable: b.durable,
      mode: b.mode,
      ...(b.priority?.policy === 'pinned_client' && { singleton: true }),
      ...(b.connection !== undefined && { connection: b.connection }),
    })),
    ...(Object.keys(streamConnections).length > 0 && { streamConnections }),
    deadLetterSubjects: [...new Set(parts.flatMap((p) => p.subjects))],
    deadLetterStreams: [...new Set(parts.flatMap((p) => p.streams))],
    ...(parts.length > 1 && { deadLettersByConnection: split }),
    advisory: advisory ?? parts.find((p) => p.advisory)?.advisory,
    health,
    publishes,
    leaderAdvisories: options.metrics !== undefined,
    cron: cronPermissionsPlan(options, bindings),
    kvBuckets: await kvBucketsOf(options.idempotency?.store),
    inboxPrefix: options.connection?.inboxPrefix,
  };
}

/**
 * The durables of this service on the app's streams that no handler uses (see
 * provisioning/left-behind-consumers.ts); the library's own streams (dead-letter advisories,
 * health) are not looked at.
 */
export async function scanLeftBehind(
  jsm: JetStreamManager | undefined,
  options: JetStreamServerOptions,
  healthStream: string | undefined,
  bindings: readonly HandlerBinding[],
): Promise<LeftBehindScan> {
  if (!jsm || options.serviceName === undefined) return { consumers: [], unreadable: [] };
  const serviceName = options.serviceName;
  const own = new Set([advisoryStreamName(serviceName), healthStream]);
  const streams = streamsUsed(options, bindings).filter((s) => !own.has(s));
  return findLeftBehind(jsm, streams, serviceName, new Set(bindings.map((b) => `${b.stream}/${b.durable}`)));
}

/** One report of the scans of several connections. */
export function mergeScans(scans: readonly LeftBehindScan[]): LeftBehindScan {
  return { consumers: scans.flatMap((s) => s.consumers), unreadable: scans.flatMap((s) => s.unreadable) };
}

/** Readiness lists consumers left behind from a scan at most `LEFT_BEHIND_RESCAN_MS` old: they only change with a deploy. */
export class LeftBehindCache {
  private cached?: { at: number; scan: Promise<LeftBehindScan> };

  get(scan: () => Promise<LeftBehindScan>): Promise<LeftBehindScan> {
    const cached = this.cached;
    if (cached && Date.now() - cached.at < LEFT_BEHIND_RESCAN_MS) return cached.scan;
    const next = scan();
    this.cached = { at: Date.now(), scan: next };
    next.catch(() => (this.cached = undefined));
    return next;
  }
}

/** Before connecting: plain `@EventPattern` handlers it was offered (see plainEventVerdict), and a serviceName when it has handlers. */
export function checkBeforeStart(
  plainPatterns: unknown[],
  app: AppView | undefined,
  handlers: number,
  options: JetStreamServerOptions,
  logger: LoggerService,
): void {
  const plain = plainEventVerdict(plainPatterns, app);
  if (plain?.level === 'error') throw new JetStreamConfigError(plain.message);
  if (plain?.level === 'warn') logger.warn(plain.message);
  if (plain?.level === 'debug') logger.debug?.(plain.message);
  if (handlers > 0 && options.serviceName === undefined) {
    throw new JetStreamConfigError(
      `JetStreamServer has ${handlers} handler(s) but no serviceName. Durable names are derived from it (<serviceName>__<subject>), so two services left on one default would share, and split, one consumer without knowing. Set serviceName to this service's name, e.g. serviceName: 'billing'.`,
    );
  }
}

/** The binding of a handler Nest offered (`own`: its `@JetStreamEvent` options; none for a plain `@EventPattern` bound by `bindPlainEventPatterns`). */
export function bindingOf(
  subject: string,
  own: JetStreamEventOptions | undefined,
  extras: Record<string, unknown>,
  callback: MessageHandler,
  options: JetStreamServerOptions,
): UnresolvedBinding {
  const owner = own ? [extras[JETSTREAM_CLASS_KEY], extras[JETSTREAM_METHOD_KEY]].filter((n) => typeof n === 'string').join('.') : undefined;
  const serviceName = options.serviceName ?? DEFAULTS.serviceName;
  return resolveBinding(subject, own ?? {}, callback, {
    defaults: options.consumerDefaults,
    serviceName,
    deadLetterDefault: options.deadLetter ?? false,
    idempotencyStore: options.idempotency?.store,
    owner: owner || undefined,
    connections: Object.keys(options.connections ?? {}),
  });
}
