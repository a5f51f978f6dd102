/** Atomic batch publish (`allow_atomic`) arrived in this nats-server version. */
export const ATOMIC_BATCH_MIN_SERVER = '2.12.0';
/** The server's default limit of messages in one atomic batch (`max_batch_size`). */
export const ATOMIC_BATCH_MAX_MESSAGES = 1000;
