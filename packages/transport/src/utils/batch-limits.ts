/** Atomic batch publish (`allow_atomic`) arrived in this nats-server version. */
export const ATOMIC_BATCH_MIN_SERVER = '2.12.0';
/** The server's default limit of messages in one atomic batch (`max_batch_size`). */
export const ATOMIC_BATCH_MAX_MESSAGES = 1000;
/** Fast-ingest batches (`allow_batched`) arrived in this nats-server version. */
export const FAST_BATCH_MIN_SERVER = '2.14.0';
/** `FastBatchOptions` defaults (the timeout's is the client's `publish.timeout`). 100, not nats.js's 10: bench/RESULTS.md. */
export const FAST_BATCH_DEFAULTS = { ackInterval: 100, maxOutstandingAcks: 2, allowGaps: false } as const;
