import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { describeValue } from '../errors/describe-value.js';
import { toMillis, type Duration } from '../utils/duration.js';
import type { IdempotencyRecord, IdempotencyRecordOptions, IdempotencyStore, MaybePromise } from '../interfaces/idempotency-store.interface.js';
import { andThen, checkTableName, type SqlExecutor, type SqlResult, type SqlRow } from './sql-executor.js';

/** The SQL a `SqlIdempotencyStore` speaks. */
export type SqlDialect = 'sqlite' | 'postgres';

/** Options of `SqlIdempotencyStore`. */
export interface SqlIdempotencyStoreOptions<E extends SqlExecutor> {
  /** Runs the store's statements on its own connection or pool (`sqliteExecutor(db)`, `pgExecutor(pool)`). Required. */
  executor: E;
  /** `'sqlite'` (`?` placeholders) or `'postgres'` (`$1`). Required. */
  dialect: SqlDialect;
  /** The keys' table: letters, digits and `_`, optionally `schema.table`. Default `'jetstream_idempotency'`. */
  table?: string;
  /** Create the table and its index, if they do not exist, when the server starts (`init()`). Default false. */
  createTable?: boolean;
  /** The clock keys are stamped with, in ms. Default `Date.now`. */
  now?: () => number;
}

/**
 * Keys in a SQL table (`idempotency_key` primary key, `recorded_at` in ms, an optional
 * `result`), through an executor you give it, so it depends on no driver. With a synchronous
 * executor (better-sqlite3) every method answers at once, so it can run inside `db.transaction()`;
 * with an asynchronous one (pg) every method returns a Promise. `record` is "insert or ignore",
 * so a key recorded by the handler in its own transaction and again by the library is harmless.
 */
export class SqlIdempotencyStore<E extends SqlExecutor = SqlExecutor> implements IdempotencyStore<E> {
  readonly table: string;
  private readonly executor: E;
  private readonly createOnInit: boolean;
  private readonly now: () => number;
  private readonly sql: { create: string[]; lookup: string; record: string; prune: string };

  constructor(options: SqlIdempotencyStoreOptions<E>) {
    const { executor, dialect, table = 'jetstream_idempotency' } = options ?? ({} as SqlIdempotencyStoreOptions<E>);
    if (typeof executor?.run !== 'function' || typeof executor.get !== 'function') {
      throw new JetStreamConfigError(
        `SqlIdempotencyStore: executor must have run(sql, params) and get(sql, params), e.g. sqliteExecutor(db) or pgExecutor(pool); got ${describeValue(executor)}.`,
      );
    }
    if (dialect !== 'sqlite' && dialect !== 'postgres') {
      throw new JetStreamConfigError(`SqlIdempotencyStore: dialect must be 'sqlite' or 'postgres'; got ${describeValue(dialect)}.`);
    }
    checkTableName('SqlIdempotencyStore', table);
    this.table = table;
    this.executor = executor;
    this.createOnInit = options.createTable === true;
    this.now = options.now ?? Date.now;
    const p = dialect === 'postgres' ? (n: number) => `$${n}` : () => '?';
    const index = `${table.slice(table.indexOf('.') + 1)}_recorded_at`;
    this.sql = {
      create: [
        `CREATE TABLE IF NOT EXISTS ${table} (idempotency_key TEXT NOT NULL PRIMARY KEY, recorded_at BIGINT NOT NULL, result TEXT)`,
        `CREATE INDEX IF NOT EXISTS ${index} ON ${table} (recorded_at)`,
      ],
      lookup: `SELECT recorded_at, result FROM ${table} WHERE idempotency_key = ${p(1)}`,
      record:
        dialect === 'postgres'
          ? `INSERT INTO ${table} (idempotency_key, recorded_at, result) VALUES ($1, $2, $3) ON CONFLICT (idempotency_key) DO NOTHING`
          : `INSERT OR IGNORE INTO ${table} (idempotency_key, recorded_at, result) VALUES (?, ?, ?)`,
      prune: `DELETE FROM ${table} WHERE recorded_at < ${p(1)}`,
    };
  }

  /** Creates the table and its index if they do not exist. */
  createTable(): SqlResult<E, void> {
    const [table, index] = this.sql.create;
    return andThen(this.executor.run(table, []), () => andThen(this.executor.run(index, []), () => undefined)) as SqlResult<E, void>;
  }

  /** What the server calls at `listen()`: creates the table when `createTable` is set. */
  init(): SqlResult<E, void> {
    return (this.createOnInit ? this.createTable() : undefined) as SqlResult<E, void>;
  }

  seen(key: string, tx?: E): SqlResult<E, boolean> {
    return andThen(this.row(key, tx), (row) => row !== undefined) as SqlResult<E, boolean>;
  }

  /** The recorded key with its time and result, or undefined. */
  lookup(key: string, tx?: E): SqlResult<E, IdempotencyRecord | undefined> {
    return andThen(this.row(key, tx), (row) => {
      if (!row) return undefined;
      const result = row.result;
      return { key, recordedAt: new Date(Number(row.recorded_at)), ...(typeof result === 'string' && { result }) };
    }) as SqlResult<E, IdempotencyRecord | undefined>;
  }

  record(key: string, options: IdempotencyRecordOptions<E> = {}): SqlResult<E, boolean> {
    const on = options.tx ?? this.executor;
    return andThen(on.run(this.sql.record, [key, this.now(), options.result ?? null]), (r) => r.changes > 0) as SqlResult<E, boolean>;
  }

  prune(olderThan: Duration): SqlResult<E, number> {
    const before = this.now() - toMillis(olderThan, 'SqlIdempotencyStore.prune(olderThan)');
    return andThen(this.executor.run(this.sql.prune, [before]), (r) => r.changes) as SqlResult<E, number>;
  }

  private row(key: string, tx: E | undefined): MaybePromise<SqlRow | undefined> {
    return (tx ?? this.executor).get(this.sql.lookup, [key]);
  }
}
