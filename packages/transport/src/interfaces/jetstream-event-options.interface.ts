import type { ConsumerOptions, JetStreamEventMode } from './jetstream-options.interface.js';
import type { JetStreamCodec } from '../codecs/codec.interface.js';
import type { LagThresholds } from './health-options.interface.js';
import type { AutoscaleOptions } from './autoscale-options.interface.js';
import type { IdempotentOption } from './idempotency-store.interface.js';
import type { Duration } from '../utils/duration.js';
import type { HandlerSchemaOptions } from './contract-options.interface.js';
import type { PriorityHandlerOptions } from './priority-options.interface.js';
import type { BatchHandlerOptions } from './batch-options.interface.js';
import type { ConnectionChoiceOption } from './connection-choice.interface.js';

// Defined with the server's options (a checkpoint query names it); exported from here, where handlers choose it.
export type { JetStreamEventMode };

/** Options of one `@JetStreamEvent` handler: its consumer (see `mode`) and how it settles. */
export interface JetStreamEventOptions extends ConsumerOptions, HandlerSchemaOptions, PriorityHandlerOptions, BatchHandlerOptions, ConnectionChoiceOption {
  /** The stream to consume from. Default: the declared (or server) stream whose subjects capture the handler's subject. */
  stream?: string;
  /** Durable consumer name. Default `<serviceName>__<subject>` with `.` → `_`, `*` → `star`, `>` → `all`. */
  durable?: string;
  /** Start sequence for `deliverPolicy: 'by_start_sequence'`. */
  optStartSeq?: number;
  /** Start time for `deliverPolicy: 'by_start_time'`. */
  optStartTime?: Date | string;
  /** The handler settles with `ctx.ack()/nak()/term()` itself; the library only warns when it does not. Default false. */
  manualAck?: boolean;
  /** Dead-letter subject (or template, see `JetStreamOptions.deadLetter`); `false` turns the module default off. */
  deadLetter?: string | false;
  /**
   * How this handler decodes its messages, e.g. `new RawCodec()` for the payload bytes as they
   * are (a dead-letter handler: a dead letter may hold bytes no codec could decode). Default: the module's `codec`.
   */
  codec?: JetStreamCodec;
  /** How the handler reads its stream. Default `'shared'`. */
  mode?: JetStreamEventMode;
  /** `'broadcast'` and `'ordered'`: how long the server keeps an instance's consumer after the instance is gone. Default `'1m'`. */
  inactiveThreshold?: Duration;
  /** This handler's lag thresholds for the readiness check. Default: the module's `health.maxPending` / `health.maxAge`. */
  lag?: LagThresholds;
  /** How `nest-jetstream k8s` scales this handler's service with KEDA (a shared consumer only). Default: lag threshold `lag.maxPending`, else 100. */
  autoscale?: AutoscaleOptions;
  /**
   * A message whose key the server's `idempotency.store` has recorded is acked without running the
   * handler, and the key is recorded after the handler succeeds (docs/idempotency.md). `true` keys
   * by stream and sequence; `{ key: 'msgId' }` by the publisher's msgId; a function by the context. Default false.
   */
  idempotent?: IdempotentOption;
}
