import { modeOf, pushDeliverSubject, type DeliveryMode } from '../delivery/modes.js';
import { consumerControlRules } from '../consumer-control/control-permissions.js';
import { kvIdempotencyRules } from '../idempotency/kv-permissions.js';

/** A NATS user's permissions, as the server's config (`authorization.users[].permissions`) takes them. */
export interface NatsPermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
}

/**
 * The least-privilege roles of a service:
 * - `admin`: provisions (`create-or-update`) and runs: everything `consumer` may, plus creating and
 *   updating the app's streams and consumers;
 * - `consumer`: runs in `verify` or `off`: binds and consumes its own durables only (info, pull,
 *   ack/nak/term/working), dead-letters, publishes what it declares, checks its health;
 * - `producer`: publishes the subjects it declares and reads its PubAcks (a publisher-only service).
 */
export type PermissionRole = 'admin' | 'consumer' | 'producer';

/** What the library does on the server for one app: the input of `computePermissions`. */
export interface PermissionsPlan {
  /** Streams the app declares, and those its handlers read. */
  streams: readonly string[];
  /** The handlers' consumers; `mode` as on `@JetStreamEvent` (default: the default mode); `connection` the handler's (default `'default'`). */
  consumers: readonly { stream: string; durable: string; mode?: DeliveryMode; singleton?: boolean; connection?: string }[];
  /** Declared streams that go through a named connection (their `connection` option), by stream name. */
  streamConnections?: Readonly<Record<string, string>>;
  /** Dead-letter subjects of the handlers. */
  deadLetterSubjects: readonly string[];
  /** Streams the dead letters land in (the default `<SERVICENAME>_DEAD_LETTERS` included). */
  deadLetterStreams: readonly string[];
  /**
   * When handlers on named connections dead-letter: what each connection dead-letters through (a
   * handler's dead letters go through its own connection, as does the safety net over it), by
   * connection name, the default one included; `deadLetterSubjects`/`deadLetterStreams` hold them all.
   */
  deadLettersByConnection?: Readonly<Record<string, { subjects: readonly string[]; streams: readonly string[]; advisory?: PermissionsPlan['advisory'] }>>;
  /** The dead-letter safety net, when on: its stream and durable. */
  advisory?: { stream: string; durable: string; subjects: readonly string[] };
  /** The storage check's stream and subject, when it writes (`health.storageWrite`). */
  health?: { stream: string; subject: string };
  /** Subjects the service publishes (declared: they cannot be inferred from code). */
  publishes: readonly string[];
  /** Subscribe to the streams' leader-election advisories and every consumer's (metrics on); a pulled consumer's own are always allowed. */
  leaderAdvisories: boolean;
  /** The streams that hold this service's `@JetStreamCron` schedules, and their schedule subjects (`_sched.<stream>.cron.<service>.>`). */
  cron?: readonly { stream: string; subjects: string }[];
  /** The KV buckets of a `KvIdempotencyStore` (`idempotency.store`). */
  kvBuckets?: readonly string[];
  /** The inbox prefix of the connection. Default `_INBOX`. */
  inboxPrefix?: string;
}

const api = '$JS.API';

/** The minimal permissions of `role` for `plan`, deduplicated and sorted. */
export function computePermissions(plan: PermissionsPlan, role: PermissionRole): NatsPermissions {
  const pub = new Set<string>([`${api}.INFO`, `${api}.STREAM.NAMES`, ...plan.publishes]);
  const sub = new Set<string>([`${plan.inboxPrefix ?? '_INBOX'}.>`]);
  const streamRead = (s: string) => pub.add(`${api}.STREAM.INFO.${s}`);
  for (const s of plan.streams) streamRead(s);
  if (plan.health) {
    streamRead(plan.health.stream);
    pub.add(plan.health.subject);
  }
  if (role !== 'producer') {
    const consume = (stream: string, durable: string) => {
      pub.add(`${api}.CONSUMER.INFO.${stream}.${durable}`);
      pub.add(`${api}.CONSUMER.MSG.NEXT.${stream}.${durable}`);
      pub.add(`$JS.ACK.${stream}.${durable}.>`);
    };
    for (const c of plan.consumers) {
      const facts = modeOf(c);
      switch (facts.permissions) {
        case 'durable-pull':
          consume(c.stream, c.durable);
          break;
        case 'durable-push':
          pub.add(`${api}.CONSUMER.INFO.${c.stream}.${c.durable}`);
          pub.add(`$JS.ACK.${c.stream}.${c.durable}.>`);
          sub.add(pushDeliverSubject(c));
          break;
        case 'instance-consumers':
          // A consumer of this instance's own, made at boot and removed at stop. Its name ends with
          // the instance (or the client's serial), and a permission cannot match part of a token:
          // any consumer name on that stream.
          perInstance(pub, c.stream, facts.acks);
          break;
      }
      pub.add(`${api}.STREAM.MSG.GET.${c.stream}`); // the oldest unprocessed message (health, metrics), originals (safety net)
    }
    // The consumers left behind on the app's streams are looked for at boot and in readiness.
    for (const s of plan.streams) pub.add(`${api}.CONSUMER.LIST.${s}`);
    for (const s of plan.deadLetterSubjects) pub.add(s);
    for (const s of plan.deadLetterStreams) streamRead(s);
    if (plan.advisory) {
      streamRead(plan.advisory.stream);
      consume(plan.advisory.stream, plan.advisory.durable);
    }
    // A pulled consumer's elections, always: its puller pulls again after one (consuming/leader-watch.ts).
    for (const c of plan.consumers) {
      const facts = modeOf(c);
      if (facts.repullsOnElection) sub.add(`$JS.EVENT.ADVISORY.CONSUMER.LEADER_ELECTED.${c.stream}.${facts.perInstance ? '*' : c.durable}`);
    }
    if (plan.leaderAdvisories) {
      for (const s of plan.streams) sub.add(`$JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED.${s}`);
      for (const c of plan.consumers) sub.add(`$JS.EVENT.ADVISORY.CONSUMER.LEADER_ELECTED.${c.stream}.${c.durable}`);
    }
  }
  if (role === 'admin') {
    pub.add(`${api}.STREAM.LIST`);
    const owned = [...plan.streams, ...plan.deadLetterStreams, ...(plan.advisory ? [plan.advisory.stream] : []), ...(plan.health ? [plan.health.stream] : [])];
    for (const s of owned) {
      pub.add(`${api}.STREAM.CREATE.${s}`);
      pub.add(`${api}.STREAM.UPDATE.${s}`);
    }
    const durables = [...plan.consumers.filter((c) => !modeOf(c).perInstance), ...(plan.advisory ? [plan.advisory] : [])];
    for (const c of durables) {
      pub.add(`${api}.CONSUMER.CREATE.${c.stream}.${c.durable}`); // 2.10+, no filter
      pub.add(`${api}.CONSUMER.CREATE.${c.stream}.${c.durable}.>`); // 2.10+, with its filter subject
      pub.add(`${api}.CONSUMER.DURABLE.CREATE.${c.stream}.${c.durable}`); // 2.9
    }
    for (const subject of consumerControlRules(plan.consumers)) pub.add(subject);
  }
  cronPermissions(pub, plan, role);
  for (const subject of kvIdempotencyRules(plan.kvBuckets, role)) pub.add(subject);
  return { publish: { allow: [...pub].sort() }, subscribe: { allow: [...sub].sort() } };
}

/**
 * Cron jobs: every role that boots reads the schedules (stream info, last message of a subject);
 * `admin` writes them and purges those of jobs removed from the code (a purge request names its
 * subject in the body, so the permission is the stream's).
 */
function cronPermissions(pub: Set<string>, plan: PermissionsPlan, role: PermissionRole): void {
  if (role === 'producer') return;
  for (const c of plan.cron ?? []) {
    pub.add(`${api}.STREAM.INFO.${c.stream}`);
    pub.add(`${api}.STREAM.MSG.GET.${c.stream}`);
    if (role !== 'admin') continue;
    pub.add(c.subjects);
    pub.add(`${api}.STREAM.PURGE.${c.stream}`);
  }
}

/** Create, read, pull from and delete consumers of any name on `stream` (acks too, for a mode with acks). */
function perInstance(pub: Set<string>, stream: string, acks: boolean): void {
  pub.add(`${api}.CONSUMER.CREATE.${stream}`); // 2.9: an ordered consumer is created by name in the request
  pub.add(`${api}.CONSUMER.CREATE.${stream}.*`);
  pub.add(`${api}.CONSUMER.CREATE.${stream}.*.>`);
  pub.add(`${api}.CONSUMER.DURABLE.CREATE.${stream}.*`);
  pub.add(`${api}.CONSUMER.INFO.${stream}.*`);
  pub.add(`${api}.CONSUMER.MSG.NEXT.${stream}.*`);
  pub.add(`${api}.CONSUMER.DELETE.${stream}.*`);
  if (acks) pub.add(`$JS.ACK.${stream}.*.>`);
}
