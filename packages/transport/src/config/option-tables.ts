import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { HealthOptions, LagThresholds } from '../interfaces/health-options.interface.js';
import type { IdempotencyOptions } from '../interfaces/idempotency-store.interface.js';
import type { JetStreamEventOptions } from '../interfaces/jetstream-event-options.interface.js';
import type { AutoscaleOptions } from '../interfaces/autoscale-options.interface.js';
import type { OverflowOptions } from '../interfaces/priority-options.interface.js';
import type { BatchOptions } from '../interfaces/batch-options.interface.js';
import type { FastBatchOptions } from '../interfaces/fast-batch-options.interface.js';
import { DELIVERY_MODES } from '../delivery/modes.js';
import type {
  ConsumerOptions,
  DeliverPolicyName,
  JetStreamServerOptions,
  ProvisioningMode,
  PublishDefaults,
  StreamDeclaration,
} from '../interfaces/jetstream-options.interface.js';
import type { JetStreamMetricsOptions, JetStreamTracingOptions } from '../interfaces/instrument-options.interface.js';
import { deadLetterProblem } from './dead-letter-subject.js';
import { describeValue } from '../errors/describe-value.js';
import { toMillis } from '../utils/duration.js';
import { nameProblem } from '../utils/subjects.js';
import { checkContractOptions } from './contract-option-checks.js';
import { checkConnectionsOption } from './connections-option-check.js';
import { checkedElsewhere, duration, flag, fn, listOf, nested, oneOf, ratio, text, wholeNumber, type OptionCheck, type OptionTable } from './option-checks.js';

// Every option the library takes, one line each: a new option is a new line in its table (the
// compiler asks for it: each table is mapped over its interface's keys). An unknown key is refused
// naming the nearest of these, and each value is checked where the object is constructed.

const PROVISIONING_MODES: readonly ProvisioningMode[] = ['create-or-update', 'verify', 'off'];
const DELIVER_POLICIES: readonly DeliverPolicyName[] = ['all', 'new', 'last', 'last_per_subject', 'by_start_sequence', 'by_start_time'];

const positive = duration({ positive: true });
const nonNegative = duration({ positive: false });

/** An object whose keys belong to someone else (nats.js connection options, a server stream config). */
const plainObject: OptionCheck = (v, where, path) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new JetStreamConfigError(`${where}: ${path} must be an object; got ${describeValue(v)}. See the options table in the README.`);
  }
};

/** A stream, consumer or service name as the server takes it. */
const natsName: OptionCheck = (v, where, path) => {
  const bad = typeof v === 'string' ? nameProblem(v) : 'it is not a string';
  if (bad) throw new JetStreamConfigError(`${where}: ${path} ${describeValue(v)} is invalid: ${bad}. Use letters, digits, "-" and "_".`);
};

/** One nak delay: a `Duration` above 0, since a zero delay redelivers a failing message at once. */
const backoffDelay: OptionCheck = (v, where, path) => {
  if (toMillis(v as number, `${where}: ${path}`) === 0) {
    throw new JetStreamConfigError(
      `${where}: ${path} is 0: a failed attempt would be redelivered at once (a hot loop). Use a delay of at least 1ms, e.g. '100ms'.`,
    );
  }
};

/** A nak schedule; whether it may be empty depends on `maxDeliver`, checked when the handler is bound. */
export const backoffSchedule: OptionCheck = (v, where, path) => {
  if (!Array.isArray(v)) {
    throw new JetStreamConfigError(
      `${where}: ${path} must be a non-empty array of delays, e.g. ['1s', '5s', '30s']; got ${describeValue(v)}. Without a delay a failed attempt would be redelivered at once.`,
    );
  }
  for (let i = 0; i < v.length; i++) backoffDelay(v[i], where, `${path}[${i}]`);
};

const deadLetterSubject: OptionCheck = (v, where, path) => {
  if (v === false) return;
  const bad = typeof v === 'string' ? deadLetterProblem(v) : 'not a string';
  if (bad) {
    throw new JetStreamConfigError(
      `${where}: ${path} ${describeValue(v)} is invalid: ${bad}. Use a subject such as 'orders.deadletter' or a template such as 'dlq.{subject}', or false.`,
    );
  }
};

/** An object with methods, e.g. a store, a registry, a tracer provider. */
const withMethods =
  (methods: readonly string[], example: string): OptionCheck =>
  (v, where, path) => {
    const o = v as Record<string, unknown> | null;
    if (o === null || typeof o !== 'object' || methods.some((m) => typeof o[m] !== 'function')) {
      throw new JetStreamConfigError(`${where}: ${path} must have ${methods.map((m) => `${m}()`).join(' and ')} (e.g. ${example}); got ${describeValue(v)}.`);
    }
  };

/** `metrics` / `tracing`: a `JetStreamInstrumentation`, e.g. `new JetStreamMetrics()`. */
const instrumentation =
  (example: string): OptionCheck =>
  (v, where, path) => {
    const o = v as Record<string, unknown> | null;
    const ok =
      o !== null &&
      typeof o === 'object' &&
      ['attach', 'detach'].every((m) => o[m] === undefined || typeof o[m] === 'function') &&
      ['consume', 'publish'].every((k) => o[k] === undefined || typeof o[k] === 'object');
    if (!ok) throw new JetStreamConfigError(`${where}: ${path} must be ${example}; got ${describeValue(v)}.`);
  };

const httpUrl: OptionCheck = (v, where, path) => {
  let ok = false;
  try {
    ok = typeof v === 'string' && /^https?:$/.test(new URL(v).protocol);
  } catch {
    ok = false;
  }
  if (!ok) throw new JetStreamConfigError(`${where}: ${path} must be the monitoring endpoint's http(s) URL, e.g. 'http://nats:8222'; got ${describeValue(v)}.`);
};

const replicas: OptionCheck = (v, where, path) => {
  if (!(typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 5))
    throw new JetStreamConfigError(`${where}: ${path} is ${describeValue(v)}; use 1, 3 or 5.`);
};

/** A payload codec: `new JsonCodec()`, `new RawCodec()` or the app's own `JetStreamCodec`. */
const codec = withMethods(['encode', 'decode'], 'new JsonCodec() or new RawCodec()');

/** `ConsumerOptions`: `consumerDefaults`, and the consumer part of every handler's options. */
export const CONSUMER_OPTIONS: OptionTable<ConsumerOptions> = {
  ackWait: positive,
  maxDeliver: wholeNumber(1),
  backoff: backoffSchedule,
  maxAckPending: wholeNumber(1),
  concurrency: wholeNumber(1),
  prefetch: wholeNumber(1),
  deliverPolicy: oneOf(DELIVER_POLICIES),
  handlerTimeout: positive,
  poisonErrors: listOf(fn, 'error classes, e.g. [InvalidOrderError]'),
};

export const LAG_OPTIONS: OptionTable<LagThresholds> = {
  maxPending: wholeNumber(1),
  maxAge: positive,
};

export const AUTOSCALE_OPTIONS: OptionTable<AutoscaleOptions> = {
  lagThreshold: wholeNumber(1),
  activationLagThreshold: wholeNumber(0),
};

export const OVERFLOW_OPTIONS: OptionTable<OverflowOptions> = {
  minPending: wholeNumber(1),
  minAckPending: wholeNumber(1),
  standby: flag,
};

/** `@JetStreamEvent(subject, { batch })`: size ≤ maxAckPending and the mode are checked by resolveBatch. */
export const BATCH_OPTIONS: OptionTable<BatchOptions> = {
  size: wholeNumber(1),
  maxWait: positive,
};

/** `@JetStreamEvent(subject, options)`: checked when Nest registers the handler on the server. */
export const HANDLER_OPTIONS: OptionTable<JetStreamEventOptions> = {
  ...CONSUMER_OPTIONS,
  stream: natsName,
  durable: checkedElsewhere, // its own message (resolveBinding), as a derived durable gets the same check
  optStartSeq: wholeNumber(1),
  optStartTime: checkedElsewhere, // a Date or an ISO time, when deliverPolicy is 'by_start_time' (resolveBinding)
  manualAck: flag,
  deadLetter: deadLetterSubject,
  mode: oneOf(DELIVERY_MODES),
  inactiveThreshold: positive,
  lag: nested(LAG_OPTIONS),
  autoscale: nested(AUTOSCALE_OPTIONS),
  idempotent: checkedElsewhere, // resolveIdempotency: it depends on the mode and the server's store
  codec: checkedElsewhere, // resolveBinding: a handler's codec only decodes, and a class instead of an instance gets its own hint
  schema: checkedElsewhere, // contract/payload-validation.ts: a Standard Schema, dtoSchema(Dto), or { validator, jsonSchema }
  singleton: checkedElsewhere, // resolvePriority: true or { takeoverAfter }, and the mode
  overflow: nested(OVERFLOW_OPTIONS),
  batch: nested(BATCH_OPTIONS),
  connection: text, // a declared name: checked against the connections option at listen() (server/connection-groups.ts)
};

/** `publish.fastBatch` and the options of `client.publishFastBatch()`. */
export const FAST_BATCH_OPTIONS: OptionTable<FastBatchOptions> = {
  ackInterval: wholeNumber(1),
  maxOutstandingAcks: (v, where, path) => {
    if (v !== 1 && v !== 2 && v !== 3) throw new JetStreamConfigError(`${where}: ${path} must be 1, 2 or 3 (flow windows in flight); got ${describeValue(v)}.`);
  },
  allowGaps: flag,
  timeout: positive,
};

export const PUBLISH_OPTIONS: OptionTable<PublishDefaults> = {
  timeout: positive,
  retryBudget: nonNegative,
  fastBatch: nested(FAST_BATCH_OPTIONS),
};

export const HEALTH_OPTIONS: OptionTable<HealthOptions> = {
  monitorUrl: httpUrl,
  timeout: positive,
  cacheTtl: nonNegative,
  maxPending: wholeNumber(1),
  maxAge: positive,
  deadLetterMaxDepth: wholeNumber(0),
  storageUsageMax: ratio,
  storageWrite: flag,
  stream: natsName,
};

export const IDEMPOTENCY_OPTIONS: OptionTable<IdempotencyOptions> = {
  store: withMethods(
    ['seen', 'record'],
    "new SqlIdempotencyStore({ executor: sqliteExecutor(db), dialect: 'sqlite' }) (from @nest-jetstream/transport/sql) or new MemoryIdempotencyStore()",
  ),
  pruneInterval: positive,
  retain: positive,
};

/** A stream declaration; enums, durations and replicas are converted (and checked) by `toStreamConfig`. */
export const STREAM_OPTIONS: OptionTable<StreamDeclaration> = {
  name: natsName,
  subjects: listOf(text, "subjects, e.g. ['orders.>']"),
  retention: checkedElsewhere,
  storage: checkedElsewhere,
  replicas,
  maxAge: checkedElsewhere,
  maxBytes: wholeNumber(-1),
  maxMsgs: wholeNumber(-1),
  maxMsgSize: wholeNumber(-1),
  maxMsgsPerSubject: wholeNumber(-1),
  discard: checkedElsewhere,
  duplicateWindow: checkedElsewhere,
  description: text,
  connection: text, // a declared name: checked against the connections option at listen()
  denyDelete: flag,
  denyPurge: flag,
  allowRollup: flag,
  allowMsgTtl: flag,
  allowMsgSchedules: flag,
  placement: checkedElsewhere, // validateTopology, with the stream's name
  mirror: checkedElsewhere,
  sources: checkedElsewhere,
  allowAtomic: flag,
  allowBatched: flag,
  extra: plainObject, // the server's own stream config fields, in its names
};

export const DEAD_LETTER_ADVISORIES_OPTIONS: OptionTable<{ replicas?: number }> = {
  replicas,
};

/** `new JetStreamMetrics(options)` (`@nest-jetstream/transport/metrics`). */
export const METRICS_OPTIONS: OptionTable<JetStreamMetricsOptions> = {
  registry: withMethods(['registerMetric', 'getSingleMetric'], 'new Registry() from prom-client'),
  prefix: (v, where, path) => {
    if (typeof v !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(v))
      throw new JetStreamConfigError(
        `${where}: ${path} must be a Prometheus metric name prefix (letters, digits, "_" and ":"), e.g. 'billing_'; got ${describeValue(v)}.`,
      );
  },
  subjectLabel: flag,
  pollInterval: positive,
  buckets: (v, where, path) => {
    const ok =
      Array.isArray(v) && v.length > 0 && v.every((b, i) => typeof b === 'number' && b > 0 && Number.isFinite(b) && (i === 0 || b > (v[i - 1] as number)));
    if (!ok)
      throw new JetStreamConfigError(`${where}: ${path} must be increasing numbers of seconds above 0, e.g. [0.005, 0.05, 0.5, 5]; got ${describeValue(v)}.`);
  },
};

/** `new JetStreamTracing(options)` (`@nest-jetstream/transport/tracing`). */
export const TRACING_OPTIONS: OptionTable<JetStreamTracingOptions> = {
  tracerProvider: withMethods(['getTracer'], "the OpenTelemetry SDK's provider"),
  propagator: withMethods(['inject', 'extract'], 'new W3CTraceContextPropagator()'),
};

/** The server's (and the module's) options; a client takes the same, so one module config serves both. */
export const SERVER_OPTIONS: OptionTable<JetStreamServerOptions> = {
  connection: plainObject, // nats.js's ConnectionOptions, whose keys nats.js owns
  serviceName: natsName,
  domain: natsName, // a JetStream domain: letters, digits, - and _
  connections: checkConnectionsOption,
  streams: (v, where, path) => {
    if (!Array.isArray(v)) throw new JetStreamConfigError(`${where}: ${path} must be an array of stream declarations; got ${describeValue(v)}.`);
    // Every index, holes of a sparse array included (forEach would skip them).
    for (let i = 0; i < v.length; i++) {
      const s: unknown = v[i];
      nested(STREAM_OPTIONS)(s, where, `${path}[${describeValue((s as { name?: unknown } | null | undefined)?.name ?? i)}]`);
    }
  },
  provisioning: oneOf(PROVISIONING_MODES),
  consumerDefaults: nested(CONSUMER_OPTIONS),
  codec,
  shutdownTimeout: nonNegative,
  bindPlainEventPatterns: flag,
  pruneConsumers: flag,
  directCalls: flag,
  publish: nested(PUBLISH_OPTIONS),
  deadLetter: deadLetterSubject,
  deadLetterAdvisories: (v, where, path) => {
    if (typeof v === 'boolean') return;
    if (v === null || typeof v !== 'object') throw new JetStreamConfigError(`${where}: ${path} must be true, false or { replicas }; got ${describeValue(v)}.`);
    nested(DEAD_LETTER_ADVISORIES_OPTIONS)(v, where, path);
  },
  metrics: instrumentation("new JetStreamMetrics({ registry }) from '@nest-jetstream/transport/metrics'"),
  tracing: instrumentation("new JetStreamTracing() from '@nest-jetstream/transport/tracing'"),
  health: nested(HEALTH_OPTIONS),
  checkpoints: (v, where, path) => {
    if (typeof v !== 'function')
      throw new JetStreamConfigError(
        `${where}: ${path} must be a function (handler) => { afterSequence } | { fromTime } | undefined; got ${describeValue(v)}.`,
      );
  },
  requestSubjectsInStreams: (v, where, path) => {
    if (v !== 'error' && v !== 'warn') {
      throw new JetStreamConfigError(
        `${where}: ${path} is ${describeValue(v)}; use 'error' (the default: listen() fails when a stream captures a @MessagePattern subject) or 'warn' (it logs them and boots).`,
      );
    }
  },
  idempotency: nested(IDEMPOTENCY_OPTIONS),
  contract: checkContractOptions,
};
