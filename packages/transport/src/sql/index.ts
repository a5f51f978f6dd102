/**
 * Idempotency keys in your own SQL database (SQLite or PostgreSQL), written in the handler's
 * transaction: `SqlIdempotencyStore` and the executors that adapt a driver to it.
 * @module @nest-jetstream/transport/sql
 */
export { SqlIdempotencyStore } from './sql-idempotency.store.js';
export type { SqlDialect, SqlIdempotencyStoreOptions } from './sql-idempotency.store.js';
export { sqliteExecutor, pgExecutor } from './sql-executor.js';
export { SqlOutbox } from './sql-outbox.js';
export type { SqlOutboxOptions, OutboxEvent, PendingOutboxEvent } from './sql-outbox.js';
export type {
  SqlExecutor,
  SyncSqlExecutor,
  AsyncSqlExecutor,
  SqlResult,
  SqlParam,
  SqlRow,
  SqlRunResult,
  SqliteDatabaseLike,
  PgQueryable,
} from './sql-executor.js';
