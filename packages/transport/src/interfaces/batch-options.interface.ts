import type { Duration } from '../utils/duration.js';

/**
 * `@JetStreamEvent(subject, { batch: { size, maxWait } })`: the handler gets an array of payloads
 * (`@Payload() items: T[]`) and a `JetStreamBatchContext` (`@Ctx()`), handed over once `size`
 * messages arrived or `maxWait` passed since the first (docs/batch-handlers.md).
 */
export interface BatchOptions {
  /** The most messages in one batch (and the most this instance holds of the consumer): at least 1, at most `maxAckPending`. */
  size: number;
  /** How long a partial batch waits for more after its first message. Default `'1s'`. */
  maxWait?: Duration;
}

/** The batch option of a handler. Modes `'shared'` and `'broadcast'`. */
export interface BatchHandlerOptions {
  batch?: BatchOptions;
}

/** A handler's batch, resolved. */
export interface BatchBinding {
  readonly size: number;
  readonly maxWaitMs: number;
}
