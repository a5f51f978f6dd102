import type { Duration } from '../utils/duration.js';

/**
 * Options of a fast-ingest batch (`client.publishFastBatch()`, nats-server 2.14+, a stream with
 * `allowBatched: true`). Set defaults for the client in `publish.fastBatch`; a call's own options
 * override them. Checked where they are given, before anything is sent.
 */
export interface FastBatchOptions {
  /**
   * Messages between two flow acks the producer asks the server for (the server may change it on
   * the fly). Larger is faster and holds more messages unacknowledged. Default 100.
   */
  ackInterval?: number;
  /** Flow windows in flight, 1 to 3: at most `ackInterval * maxOutstandingAcks` messages are unacknowledged. Default 2. */
  maxOutstandingAcks?: number;
  /**
   * What the server does when a message of the batch does not reach it: `false` aborts the batch
   * (`FastBatchGapError`), `true` goes on and reports the gap in the ack's `gaps`. Default false.
   */
  allowGaps?: boolean;
  /** How long one wait for the server may take (the start, a full flow window, the commit). Default the client's `publish.timeout`. */
  timeout?: Duration;
}
