import { nuid } from '@nats-io/nats-core';
import { describeValue } from '../errors/describe-value.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { MaybePromise } from '../interfaces/idempotency-store.interface.js';
import { toMillis, type Duration } from '../utils/duration.js';
import { subjectProblem } from '../utils/subjects.js';
import { andThen, checkTableName, type SqlExecutor, type SqlParam, type SqlResult, type SqlRow } from './sql-executor.js';
import type { SqlDialect } from './sql-idempotency.store.js';

/** One event a handler writes to the outbox, to be published after its transaction commits. */
export interface OutboxEvent {
  subject: string;
  /** JSON-serialisable: stored as JSON text, encoded by the relay's client codec when published. */
  data: unknown;
  headers?: Record<string, string>;
}

/** A stored event waiting for the relay; `id` is its `Nats-Msg-Id`. */
export interface PendingOutboxEvent {
  id: string;
  subject: string;
  data: unknown;
  headers?: Record<string, string>;
}

/** Options of `SqlOutbox`. */
export interface SqlOutboxOptions<E extends SqlExecutor> {
  /** The relay's own connection or pool (`sqliteExecutor(db)`, `pgExecutor(pool)`); it must have `all()`. Required. */
  executor: E;
  /** `'sqlite'` (`?` placeholders) or `'postgres'` (`$1`). Required. */
  dialect: SqlDialect;
  /** The events' table: letters, digits and `_`, optionally `schema.table`. Default `'jetstream_outbox'`. */
  table?: string;
  /** Create the table and its index, if they do not exist, on `init()` (the relay calls it at `start()`). Default false. */
  createTable?: boolean;
  /** The clock rows are stamped with, in ms. Default `Date.now`. */
  now?: () => number;
}

let counter = 0;

/**
 * The id of a new row: sortable by time, then by order of `add` in this process, unique across
 * processes (a nuid). It is the event's msgId, so a relay that publishes it twice stores it once.
 */
function newId(now: number): string {
  counter = (counter + 1) % 1_000_000;
  return `${String(now).padStart(15, '0')}-${String(counter).padStart(6, '0')}-${nuid.next()}`;
}

/**
 * A transactional outbox in your SQL database: `add(events, { tx })` inserts the events in the
 * handler's own transaction (the one its idempotency key is recorded in), so they exist if and only
 * if the transaction commits; an `OutboxRelay` publishes them after the commit and marks them sent.
 * Depends on no driver: an executor adapts one (`sqliteExecutor`, `pgExecutor`). With a synchronous
 * executor `add` answers at once (it runs inside better-sqlite3's `db.transaction()`).
 */
export class SqlOutbox<E extends SqlExecutor = SqlExecutor> {
  readonly table: string;
  private readonly executor: E & Required<Pick<SqlExecutor, 'all'>>;
  private readonly createOnInit: boolean;
  private readonly now: () => number;
  private readonly p: (n: number) => string;
  private readonly sql: { create: string[]; insert: string; pending: string; count: string; prune: string };

  constructor(options: SqlOutboxOptions<E>) {
    const { executor, dialect, table = 'jetstream_outbox' } = options ?? ({} as SqlOutboxOptions<E>);
    if (typeof executor?.run !== 'function' || typeof executor.all !== 'function') {
      throw new JetStreamConfigError(
        `SqlOutbox: executor must have run(sql, params) and all(sql, params), e.g. sqliteExecutor(db) or pgExecutor(pool); got ${describeValue(executor)}.`,
      );
    }
    if (dialect !== 'sqlite' && dialect !== 'postgres')
      throw new JetStreamConfigError(`SqlOutbox: dialect must be 'sqlite' or 'postgres'; got ${describeValue(dialect)}.`);
    checkTableName('SqlOutbox', table);
    this.table = table;
    this.executor = executor as E & Required<Pick<SqlExecutor, 'all'>>;
    this.createOnInit = options.createTable === true;
    this.now = options.now ?? Date.now;
    this.p = dialect === 'postgres' ? (n: number) => `$${n}` : () => '?';
    const p = this.p;
    const index = `${table.slice(table.indexOf('.') + 1)}_pending`;
    this.sql = {
      create: [
        `CREATE TABLE IF NOT EXISTS ${table} (id TEXT NOT NULL PRIMARY KEY, subject TEXT NOT NULL, data TEXT NOT NULL, headers TEXT, created_at BIGINT NOT NULL, sent_at BIGINT)`,
        `CREATE INDEX IF NOT EXISTS ${index} ON ${table} (id) WHERE sent_at IS NULL`,
      ],
      insert: `INSERT INTO ${table} (id, subject, data, headers, created_at) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)})`,
      pending: `SELECT id, subject, data, headers FROM ${table} WHERE sent_at IS NULL ORDER BY id LIMIT ${p(1)}`,
      count: `SELECT COUNT(*) AS n FROM ${table} WHERE sent_at IS NULL`,
      prune: `DELETE FROM ${table} WHERE sent_at IS NOT NULL AND sent_at < ${p(1)}`,
    };
  }

  /** Creates the table and its index if they do not exist. */
  createTable(): SqlResult<E, void> {
    const [table, index] = this.sql.create;
    return andThen(this.executor.run(table, []), () => andThen(this.executor.run(index, []), () => undefined)) as SqlResult<E, void>;
  }

  /** What the relay calls at `start()`: creates the table when `createTable` is set. */
  init(): SqlResult<E, void> {
    return (this.createOnInit ? this.createTable() : undefined) as SqlResult<E, void>;
  }

  /**
   * Inserts `events` through `tx` (the executor of the handler's transaction; default the outbox's
   * own, outside any transaction) and returns their ids, in order. Throws `JetStreamConfigError` on
   * an event it could not publish (a bad subject, data JSON cannot hold) before inserting any.
   */
  add(events: OutboxEvent | readonly OutboxEvent[], options: { tx?: E } = {}): SqlResult<E, string[]> {
    const list = Array.isArray(events) ? (events as readonly OutboxEvent[]) : [events as OutboxEvent];
    const now = this.now();
    const rows = list.map((e, i) => {
      const why = typeof e?.subject === 'string' ? subjectProblem(e.subject, false) : `it is ${describeValue(e?.subject)}`;
      if (why) throw new JetStreamConfigError(`SqlOutbox.add(): event ${i}'s subject ${why}.`);
      const data = JSON.stringify(e.data);
      if (data === undefined) throw new JetStreamConfigError(`SqlOutbox.add(): event ${i} (${e.subject}) has data JSON cannot hold (${typeof e.data}).`);
      return [newId(now), e.subject, data, e.headers ? JSON.stringify(e.headers) : null, now] as SqlParam[];
    });
    const on = options.tx ?? this.executor;
    let done: MaybePromise<unknown> = undefined;
    for (const row of rows) done = andThen(done, () => on.run(this.sql.insert, row));
    return andThen(done, () => rows.map((r) => r[0] as string)) as SqlResult<E, string[]>;
  }

  /** Up to `limit` events not yet marked sent, oldest first. */
  pending(limit: number): SqlResult<E, PendingOutboxEvent[]> {
    return andThen(this.executor.all(this.sql.pending, [limit]), (rows: SqlRow[]) =>
      rows.map((r) => ({
        id: String(r.id),
        subject: String(r.subject),
        data: JSON.parse(String(r.data)) as unknown,
        ...(typeof r.headers === 'string' && { headers: JSON.parse(r.headers) as Record<string, string> }),
      })),
    ) as SqlResult<E, PendingOutboxEvent[]>;
  }

  /** How many events are not yet marked sent (the relay's backlog; one `COUNT(*)` on the pending index). */
  countPending(): SqlResult<E, number> {
    return andThen(this.executor.all(this.sql.count, []), (rows: SqlRow[]) => Number(rows[0]?.n ?? 0)) as SqlResult<E, number>;
  }

  /** Marks the events `ids` sent (after their publish was acknowledged); returns how many rows changed. */
  markSent(ids: readonly string[]): SqlResult<E, number> {
    if (ids.length === 0) return 0 as SqlResult<E, number>;
    const sql = `UPDATE ${this.table} SET sent_at = ${this.p(1)} WHERE sent_at IS NULL AND id IN (${ids.map((_, i) => this.p(i + 2)).join(', ')})`;
    return andThen(this.executor.run(sql, [this.now(), ...ids]), (r) => r.changes) as SqlResult<E, number>;
  }

  /** Deletes the events sent more than `olderThan` ago; returns how many. */
  prune(olderThan: Duration): SqlResult<E, number> {
    const before = this.now() - toMillis(olderThan, 'SqlOutbox.prune(olderThan)');
    return andThen(this.executor.run(this.sql.prune, [before]), (r) => r.changes) as SqlResult<E, number>;
  }
}
