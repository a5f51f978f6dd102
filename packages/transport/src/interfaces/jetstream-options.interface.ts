import type { FastBatchOptions } from './fast-batch-options.interface.js';
import type { StreamConfig } from '@nats-io/jetstream';
import type { ContractModuleOptions } from './contract-options.interface.js';
import type { NodeConnectionOptions } from '@nats-io/transport-node';
import type { JetStreamCodec } from '../codecs/codec.interface.js';
import type { Duration } from '../utils/duration.js';
import type { ErrorClass } from '../settlement/settle-policy.js';
import type { JetStreamInstrumentation } from '../observability/instrumentation.interface.js';
import type { HealthOptions } from './health-options.interface.js';
import type { IdempotencyOptions } from './idempotency-store.interface.js';
import type { StreamTopologyDeclaration } from './stream-topology.interface.js';
import type { JetStreamDomainOption } from './jetstream-domain.interface.js';
import type { NamedConnectionsOption } from './named-connections.interface.js';
import type { ConnectionChoiceOption } from './connection-choice.interface.js';

export type DeliverPolicyName = 'all' | 'new' | 'last' | 'last_per_subject' | 'by_start_sequence' | 'by_start_time';
export type ProvisioningMode = 'create-or-update' | 'verify' | 'off';

/** A stream the app declares; camelCase options become the server's config fields in one place. */
export interface StreamDeclaration extends StreamTopologyDeclaration, ConnectionChoiceOption {
  name: string;
  subjects: string[];
  /** Default `limits`. */
  retention?: 'limits' | 'interest' | 'workqueue';
  /** Default `file`. */
  storage?: 'file' | 'memory';
  /** Default 1. */
  replicas?: number;
  /** Default unlimited (0). */
  maxAge?: Duration;
  /** Default unlimited (-1). */
  maxBytes?: number;
  /** Default unlimited (-1). */
  maxMsgs?: number;
  /** Default unlimited (-1). */
  maxMsgSize?: number;
  /** Default unlimited (-1). */
  maxMsgsPerSubject?: number;
  /** Default `old`. */
  discard?: 'old' | 'new';
  /** The msgId dedup window. Server default 2 minutes. */
  duplicateWindow?: Duration;
  description?: string;
  denyDelete?: boolean;
  denyPurge?: boolean;
  allowRollup?: boolean;
  /** Per-message TTL (the `ttl` publish option; `allow_msg_ttl`). Needs nats-server 2.11+; the server cannot turn it off again. Default false. */
  allowMsgTtl?: boolean;
  /**
   * Scheduled messages (the `deliverAt`/`delay` publish options; `allow_msg_schedules`, plus the
   * subjects `_sched.<name>.>` where schedules wait). Needs nats-server 2.12+, not with `interest`
   * retention; the server cannot turn it off again. Default false.
   */
  allowMsgSchedules?: boolean;
  /** Atomic batch publish (`client.publishBatch()`; `allow_atomic`). Needs nats-server 2.12+. Default false. */
  allowAtomic?: boolean;
  /** Fast-ingest batches (`client.publishFastBatch()`; `allow_batched`). Needs nats-server 2.14+. Default false. */
  allowBatched?: boolean;
  /** Any other server stream config field, in the server's own names (e.g. `{ compression: 's2' }` on 2.10+). */
  extra?: Partial<StreamConfig>;
}

/** Per-handler consumer options; each falls back to `consumerDefaults`, then to the library default. */
export interface ConsumerOptions {
  /** How long the server waits for a settle before redelivering. Default `'30s'`. */
  ackWait?: Duration;
  /** Attempts before a message counts as failed for good (terminated, or dead-lettered). Default 5. */
  maxDeliver?: number;
  /** Nak delay for each failed attempt; the last entry repeats. Default `['1s', '5s', '30s']`. */
  backoff?: Duration[];
  /** Unsettled messages the server lets this consumer hold, across all instances of a shared handler. Default 1000 (the server's own). */
  maxAckPending?: number;
  /** Handlers run at once for this consumer. Default 10. */
  concurrency?: number;
  /**
   * The cap of the prefetch window (messages pulled and not yet started). Below it the window
   * adapts: it grows while the handlers keep up and shrinks to about one second of work at their
   * measured rate, which is what a crashed process strands beyond its running handlers until
   * `ackWait` while other instances go on. Set, a process holds at most `concurrency + prefetch`
   * unsettled messages. Default: `maxAckPending − concurrency` (the window decides).
   */
  prefetch?: number;
  /** Where a new consumer starts. Default `'all'`. */
  deliverPolicy?: DeliverPolicyName;
  /** A handler running longer than this stops being kept alive and its attempt counts as failed. Default `'5m'`. */
  handlerTimeout?: Duration;
  /**
   * Error classes that make a message poison: thrown by the handler, the message is dead-lettered
   * (or terminated) at once instead of retried. `JetStreamTermError`, decode errors and a pipe's
   * 400/422 rejection always are. Default none.
   */
  poisonErrors?: ErrorClass[];
}

export interface PublishDefaults {
  /** Wait for one PubAck. Default `'2s'`. */
  timeout?: Duration;
  /** Keep retrying timeouts and no-responders (same msgId) this long. Default `'15s'`, enough for a leader election. */
  retryBudget?: Duration;
  /** Defaults of `client.publishFastBatch()` (fast ingest, nats-server 2.14+); see `FastBatchOptions`. */
  fastBatch?: FastBatchOptions;
}

/** What a `JetStreamClient` uses (a publisher). */
export interface JetStreamClientOptions extends JetStreamDomainOption, ContractModuleOptions, NamedConnectionsOption {
  /** `@nats-io/transport-node` connection options: servers, name, user/pass, token, authenticator, tls... Default `{ servers: 'nats://127.0.0.1:4222' }`, reconnecting as long as it runs. */
  connection?: NodeConnectionOptions;
  /** This service's name. Required for a server with handlers (the prefix of derived durable names `<serviceName>__<subject>`); optional for a client. */
  serviceName?: string;
  /** Streams this app owns: provisioned by the server at `listen()` and by a client when it connects. Default none. */
  streams?: StreamDeclaration[];
  /** What the server (streams and consumers) and the client (streams) do about the declarations when they start. Default `'create-or-update'`. */
  provisioning?: ProvisioningMode;
  /** Payload codec. Default `new JsonCodec()`. */
  codec?: JetStreamCodec;
  /** Publish defaults: the client's publishes and the server's dead-letter publishes. */
  publish?: PublishDefaults;
  /** Health checks (`server.health`, `client.health`): thresholds and the monitoring URL. Defaults in `HealthOptions`. */
  health?: HealthOptions;
  /**
   * Prometheus metrics: `new JetStreamMetrics({ registry })` from `@nest-jetstream/transport/metrics`
   * (needs `prom-client`). Default none: no metric is kept and the hot path makes no call.
   */
  metrics?: JetStreamInstrumentation;
  /**
   * OpenTelemetry tracing: `new JetStreamTracing()` from `@nest-jetstream/transport/tracing`
   * (needs `@opentelemetry/api`). Default none: no header is added and the hot path makes no call.
   */
  tracing?: JetStreamInstrumentation;
}

/** What a `JetStreamServer` uses: everything a client does, plus how it consumes. */
export interface JetStreamServerOptions extends JetStreamClientOptions {
  /** Consumer options every handler starts from. */
  consumerDefaults?: ConsumerOptions;
  /** How long `close()` waits for running handlers. Default `'10s'`. */
  shutdownTimeout?: Duration;
  /**
   * Remove, at `listen()`, this service's durables on its streams that no handler uses any more
   * (named `<serviceName>__…`, left behind by a handler renamed or removed or a subject moved to
   * another stream; on interest and work-queue streams they keep messages for good). Only with
   * provisioning `'create-or-update'`, and never a consumer a client still pulls from; in `'verify'`
   * and `'off'` they are only reported. Either way each one is logged with its
   * `nats consumer rm <stream> <name>` command, and readiness lists them. Default false: nothing is removed.
   */
  pruneConsumers?: boolean;
  /**
   * Bind plain `@EventPattern` handlers (no transport) too, for apps that use JetStream alone. Default
   * false: then one that no other server of the app takes fails `listen()` (with `JetStreamModule`;
   * a warning without it, which cannot see the app's servers).
   */
  bindPlainEventPatterns?: boolean;
  /**
   * Call a `@JetStreamEvent` method directly when Nest would run no guard, interceptor or pipe
   * for it (global ones included); exception filters still run. It saves Nest's async pipeline
   * per message. `false` sends every handler through Nest's pipeline. Default true.
   */
  directCalls?: boolean;
  /**
   * Dead-letter subject for every handler that does not set its own: a subject, or a template
   * with `{subject}` (the message's subject), `{stream}` and `{durable}`, e.g. `'dlq.{subject}'`.
   * Default `false`: failed messages are terminated, not dead-lettered.
   */
  deadLetter?: string | false;
  /**
   * Capture the server's MAX_DELIVERIES and MSG_TERMINATED advisories of dead-lettering
   * consumers in a stream (`<SERVICENAME>_DLQ_ADVISORIES`) and dead-letter what the
   * in-process path missed. `{ replicas }` sets the advisory stream's replicas (default: the most
   * replicas of the streams it protects, so it survives what they survive). Default true (when
   * any handler dead-letters).
   */
  deadLetterAdvisories?: boolean | { replicas?: number };
  /**
   * The store of the `idempotent` handlers' keys, and its pruning (docs/idempotency.md):
   * `{ store, pruneInterval?, retain? }`. Default none: a handler marked `idempotent` is then a boot error.
   */
  idempotency?: IdempotencyOptions;
  /**
   * What `listen()` does when a stream (in `streams` or on the server) captures the subject of a
   * `@MessagePattern` of the app, whatever transport it is bound to: the stream stores such a
   * core-NATS request and its PubAck can reach the caller before the handler's reply. `'error'`
   * fails `listen()` naming each one; `'warn'` logs them and boots. See docs/beside-core-nats.md.
   * Default `'error'`.
   */
  requestSubjectsInStreams?: 'error' | 'warn';
  /**
   * Where each handler starts, from the application's own records, asked once per handler at
   * `listen()`: `{ afterSequence: n }` starts after stream sequence n, `{ fromTime }` at the first
   * message stored then; undefined keeps the handler's `deliverPolicy`. An `'ordered'` or
   * `'broadcast'` handler starts there on every boot; a `'shared'` or `'push'` durable only when it
   * is created (one that exists keeps its position on the server). Default none.
   */
  checkpoints?: (handler: CheckpointQuery) => Checkpoint | undefined | Promise<Checkpoint | undefined>;
}

/**
 * How a handler reads its stream (docs/delivery-modes.md):
 * - `'shared'`: one durable pull consumer shared by every instance of the service (each message to one instance);
 * - `'broadcast'`: a pull consumer per instance (every instance gets every message), removed when the instance stops or after `inactiveThreshold`;
 * - `'ordered'`: an ordered consumer per instance: every message strictly in stream order, one at a time, no acks;
 * - `'push'`: a durable push consumer with a queue group (`deliver_group`) shared by the instances, bounded by `maxAckPending`.
 */
export type JetStreamEventMode = 'shared' | 'broadcast' | 'ordered' | 'push';

/** Where a handler starts, as the application recorded it (e.g. with its own state, in one transaction). */
export type Checkpoint = { afterSequence: number } | { fromTime: Date };

/** The handler a `checkpoints` source is asked about. */
export interface CheckpointQuery {
  subject: string;
  /** The handler's durable (for `'broadcast'` and `'ordered'`, without the instance suffix). */
  durable: string;
  mode: JetStreamEventMode;
}

/** `JetStreamModule`'s options: its server gets them all, its client what a client uses. */
export type JetStreamOptions = JetStreamServerOptions;
