import type { MaybePromise } from '../interfaces/idempotency-store.interface.js';
import { describeValue } from '../errors/describe-value.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { isThenable } from '../utils/thenable.js';

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

/** A table name the stores put in their SQL (`SqlIdempotencyStore`, `SqlOutbox`: `who`): letters, digits, `_`, optionally `schema.table`. */
export function checkTableName(who: string, table: unknown): asserts table is string {
  if (typeof table !== 'string' || !TABLE_NAME.test(table)) {
    throw new JetStreamConfigError(`${who}: table ${describeValue(table)} is not a plain table name; use letters, digits and "_", optionally as schema.table.`);
  }
}

/** A value bound to a statement placeholder. */
export type SqlParam = string | number | null;

/** What a statement changed. */
export interface SqlRunResult {
  /** Rows inserted, updated or deleted (better-sqlite3's `changes`, pg's `rowCount`). */
  changes: number;
}

/** One row, by column name. */
export type SqlRow = Record<string, unknown>;

/**
 * The two calls `SqlIdempotencyStore` makes of a database, so it depends on no driver: `run`
 * for statements that change rows, `get` for the first row of a query. Synchronous or not.
 * `sqliteExecutor(db)` and `pgExecutor(client)` make one; bind one to a transaction's
 * connection to record a key inside that transaction.
 */
export interface SqlExecutor {
  run(sql: string, params: SqlParam[]): MaybePromise<SqlRunResult>;
  get(sql: string, params: SqlParam[]): MaybePromise<SqlRow | undefined>;
  /** Every row of a query: what the outbox relay reads its pending events with (both executors here have it). */
  all?(sql: string, params: SqlParam[]): MaybePromise<SqlRow[]>;
}

/** An executor that answers at once (better-sqlite3): the store's methods then return plain values. */
export interface SyncSqlExecutor extends SqlExecutor {
  run(sql: string, params: SqlParam[]): SqlRunResult;
  get(sql: string, params: SqlParam[]): SqlRow | undefined;
}

/** An executor that answers with Promises (pg): the store's methods then return Promises. */
export interface AsyncSqlExecutor extends SqlExecutor {
  run(sql: string, params: SqlParam[]): Promise<SqlRunResult>;
  get(sql: string, params: SqlParam[]): Promise<SqlRow | undefined>;
}

/** What a store method returns for executor `E`: a plain value, a Promise, or either. */
export type SqlResult<E extends SqlExecutor, T> = E extends AsyncSqlExecutor ? Promise<T> : E extends SyncSqlExecutor ? T : MaybePromise<T>;

/** What `sqliteExecutor` uses of a better-sqlite3 `Database` (or a driver shaped like it). */
export interface SqliteDatabaseLike {
  // `never[]`: better-sqlite3 types a statement's parameters per call site; the executor binds SqlParams.
  prepare(sql: string): { run(...params: never[]): { changes: number }; get(...params: never[]): unknown; all(...params: never[]): unknown[] };
}

/** A synchronous executor on a better-sqlite3 database; statements are prepared once and reused. */
export function sqliteExecutor(db: SqliteDatabaseLike): SyncSqlExecutor {
  const statements = new Map<string, ReturnType<SqliteDatabaseLike['prepare']>>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  return {
    run: (sql, params) => ({ changes: prepared(sql).run(...(params as never[])).changes }),
    get: (sql, params) => prepared(sql).get(...(params as never[])) as SqlRow | undefined,
    all: (sql, params) => prepared(sql).all(...(params as never[])) as SqlRow[],
  };
}

/** What `pgExecutor` uses of a `pg` Pool, Client or PoolClient (or a client shaped like them). */
export interface PgQueryable {
  query(sql: string, params: SqlParam[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/**
 * An asynchronous executor on a pg-style client. Give it the pool for the store's own calls, and
 * the `PoolClient` that ran `BEGIN` as `record(key, { tx })` to record inside that transaction.
 */
export function pgExecutor(client: PgQueryable): AsyncSqlExecutor {
  return {
    run: async (sql, params) => ({ changes: (await client.query(sql, params)).rowCount ?? 0 }),
    get: async (sql, params) => (await client.query(sql, params)).rows[0] as SqlRow | undefined,
    all: async (sql, params) => (await client.query(sql, params)).rows as SqlRow[],
  };
}

/** `f` of a value or of a Promise's value, without making a synchronous answer asynchronous. */
export function andThen<T, U>(value: MaybePromise<T>, f: (value: T) => U): MaybePromise<U> {
  return isThenable(value) ? Promise.resolve(value).then(f) : f(value as T);
}
