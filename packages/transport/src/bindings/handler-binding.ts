import type { MessageHandler } from '@nestjs/microservices';
import type { DeliverPolicyName } from '../interfaces/jetstream-options.interface.js';
import type { ErrorClass } from '../settlement/settle-policy.js';
import type { LagThresholds } from '../interfaces/health-options.interface.js';
import type { DeliveryMode } from '../delivery/modes.js';
import type { IdempotencyBinding } from '../idempotency/idempotency-key.js';
import type { IdempotencyKeyKind } from '../interfaces/idempotency-store.interface.js';
import type { JetStreamCodec } from '../codecs/codec.interface.js';
import type { PriorityBinding } from '../interfaces/priority-options.interface.js';
import type { BatchBinding } from '../interfaces/batch-options.interface.js';
import type { CronJob } from '../interfaces/cron-job.interface.js';

/** A handler called without Nest's pipeline: returns what the method returned, or the exception handler's Observable. */
export type DirectCall = (data: unknown, ctx: object) => unknown;

/** One `@JetStreamEvent` handler resolved against the options (`JetStreamServer.bindings`): everything in ms, every default applied. */
export interface HandlerBinding {
  subject: string;
  stream: string;
  /** The consumer's name on the server (for a mode with a consumer per instance, the instance's own, `<durable>_<instance>`; for one whose consumers the client makes, the prefix of their names). */
  durable: string;
  mode: DeliveryMode;
  /** A mode with a consumer per instance: the server removes the instance's consumer after this long without it. */
  inactiveThresholdMs: number;
  ackWaitMs: number;
  maxDeliver: number;
  backoffMs: number[];
  /** Error classes this handler treats as poison (besides the library's own). */
  poisonErrors: ErrorClass[];
  maxAckPending: number;
  concurrency: number;
  /** Messages pulled ahead of the running handlers, at most. */
  prefetch: number;
  deliverPolicy: DeliverPolicyName;
  optStartSeq?: number;
  optStartTime?: Date;
  manualAck: boolean;
  /** After this the library stops `working()` and counts the attempt as failed. */
  handlerTimeoutMs: number;
  /** Lag thresholds of the readiness check, when the handler sets its own. */
  lag?: LagThresholds;
  /** Dead-letter subject template (`{subject}`, `{stream}`, `{durable}`), or undefined for none. */
  deadLetter?: string;
  /** The handler's own codec, or undefined for the module's. */
  codec?: JetStreamCodec;
  handler: MessageHandler;
  /**
   * How the handler is called: `'direct'` (the method itself, with the guards, interceptors and
   * pipes Nest resolved for it run by the library; exception filters still run) or `'pipeline'`
   * (through Nest's RPC pipeline).
   */
  invocation: 'direct' | 'pipeline';
  /** With `invocation: 'pipeline'`, why (e.g. `'pre-request hooks'`, `'directCalls: false'`). */
  pipelineReason?: string;
  /** With `invocation: 'direct'`, the enhancers the library runs around the method, as Nest resolved them (e.g. `'guards, pipes'`). */
  enhancers?: string;
  /** @internal The direct call, when `invocation` is `'direct'`. */
  direct?: DirectCall;
  /** A singleton or overflow handler's priority group (docs/consumer-control.md). */
  priority?: PriorityBinding;
  /** A batch handler's batch (docs/batch-handlers.md). */
  batch?: BatchBinding;
  /** @internal For an `idempotent` handler: its store and how each message's key is made. */
  idempotency?: IdempotencyBinding;
  /** For a `@JetStreamCron` handler: the recurring schedule kept on the server for it. */
  cron?: CronJob;
  /** The named connection its consumer goes through (the `connection` option); undefined for the default one. */
  connection?: string;
}

/** What `JetStreamServer.bindings` shows of one handler: a frozen copy, everything resolved (durations in ms). */
export type HandlerBindingInfo = Readonly<Omit<HandlerBinding, 'handler' | 'direct' | 'backoffMs' | 'poisonErrors' | 'idempotency' | 'codec'>> & {
  readonly backoffMs: readonly number[];
  readonly poisonErrors: readonly string[];
  /** The class name of the handler's own codec (e.g. `'RawCodec'`), when it has one. */
  readonly codec?: string;
  /** For an `idempotent` handler, which key its messages are known by. */
  readonly idempotency?: IdempotencyKeyKind;
};

/** The read-only view of a binding: no handler, no internal call, names of the poison classes and of the codec. */
export function bindingInfo(b: HandlerBinding): HandlerBindingInfo {
  const { handler: _handler, direct: _direct, backoffMs, poisonErrors, idempotency, codec, ...rest } = b;
  return Object.freeze({
    ...rest,
    backoffMs: Object.freeze([...backoffMs]),
    poisonErrors: Object.freeze(poisonErrors.map((c) => c.name)),
    ...(idempotency && { idempotency: idempotency.key }),
    ...(codec && { codec: codec.constructor.name }),
  });
}

/** A binding before its stream is known. */
export type UnresolvedBinding = Omit<HandlerBinding, 'stream'> & { stream?: string };
