/**
 * Idempotency keys in a NATS KV bucket (needs the optional peer dependency `@nats-io/kv`).
 * @module @nest-jetstream/transport/kv
 */
export { KvIdempotencyStore } from '../idempotency/kv-idempotency.store.js';
export type { KvIdempotencyStoreOptions } from '../idempotency/kv-idempotency.store.js';
export type { KvIdempotencyStats, KvIdempotencyStatsSource } from '../idempotency/kv-idempotency-stats.js';
