import Database from 'better-sqlite3';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { MemoryIdempotencyStore } from './memory-idempotency.store.js';
import { pgExecutor, sqliteExecutor, type PgQueryable, type SqlParam } from '../sql/sql-executor.js';
import { SqlIdempotencyStore } from '../sql/sql-idempotency.store.js';

// The stores against plain objects and an in-memory SQLite database: no NATS involved.

describe('MemoryIdempotencyStore', () => {
  it('records a key once, keeps its result, and prunes by age', () => {
    let now = 1_000_000;
    const store = new MemoryIdempotencyStore({ now: () => now });
    expect(store.seen('a')).toBe(false);
    expect(store.record('a', { result: 'done' })).toBe(true);
    expect(store.record('a')).toBe(false);
    expect(store.seen('a')).toBe(true);
    expect(store.lookup('a')).toEqual({ key: 'a', recordedAt: new Date(1_000_000), result: 'done' });
    now += 60_000;
    store.record('b');
    expect(store.prune('30s')).toBe(1);
    expect([store.seen('a'), store.seen('b'), store.size]).toEqual([false, true, 1]);
  });
});

describe('SqlIdempotencyStore on better-sqlite3 (synchronous)', () => {
  let db: Database.Database;
  let now: number;
  let store: SqlIdempotencyStore<ReturnType<typeof sqliteExecutor>>;

  beforeEach(() => {
    db = new Database(':memory:');
    now = 5_000_000;
    store = new SqlIdempotencyStore({ executor: sqliteExecutor(db), dialect: 'sqlite', createTable: true, now: () => now });
    store.init();
  });
  afterEach(() => db.close());

  it('answers synchronously: insert or ignore, lookup with its result', () => {
    expect(store.seen('ORDERS:1')).toBe(false);
    expect(store.record('ORDERS:1', { result: '{"ok":true}' })).toBe(true);
    expect(store.record('ORDERS:1')).toBe(false);
    expect(store.seen('ORDERS:1')).toBe(true);
    expect(store.lookup('ORDERS:1')).toEqual({ key: 'ORDERS:1', recordedAt: new Date(5_000_000), result: '{"ok":true}' });
    expect(store.lookup('ORDERS:2')).toBeUndefined();
  });

  it("joins the application's transaction: the key rolls back with its writes", () => {
    db.exec('CREATE TABLE effects (id TEXT PRIMARY KEY)');
    const work = db.transaction((key: string, fail: boolean) => {
      db.prepare('INSERT INTO effects (id) VALUES (?)').run(key);
      store.record(key);
      if (fail) throw new Error('after the key, before the commit');
    });
    expect(() => work('ORDERS:9', true)).toThrow('before the commit');
    expect(store.seen('ORDERS:9')).toBe(false);
    work('ORDERS:9', false);
    expect(store.seen('ORDERS:9')).toBe(true);
    expect(db.prepare('SELECT count(*) AS n FROM effects').get()).toEqual({ n: 1 });
  });

  it('prunes the keys older than the window', () => {
    store.record('old');
    now += 3_600_000;
    store.record('new');
    expect(store.prune('30m')).toBe(1);
    expect([store.seen('old'), store.seen('new')]).toEqual([false, true]);
  });

  it('uses the table it is given, and creates it only when asked', () => {
    const own = new SqlIdempotencyStore({ executor: sqliteExecutor(db), dialect: 'sqlite', table: 'inventory_keys' });
    own.init();
    expect(() => own.seen('x')).toThrow(/no such table: inventory_keys/);
    own.createTable();
    own.record('x');
    expect(db.prepare('SELECT idempotency_key FROM inventory_keys').all()).toEqual([{ idempotency_key: 'x' }]);
  });

  it('refuses options it cannot use, naming them', () => {
    const executor = sqliteExecutor(db);
    expect(() => new SqlIdempotencyStore({ executor: {} as never, dialect: 'sqlite' })).toThrow(/executor must have run\(sql, params\) and get\(sql, params\)/);
    expect(() => new SqlIdempotencyStore({ executor, dialect: 'oracle' as never })).toThrow(/dialect must be 'sqlite' or 'postgres'; got "oracle"/);
    expect(() => new SqlIdempotencyStore({ executor, dialect: 'sqlite', table: 'keys; DROP TABLE x' })).toThrow(JetStreamConfigError);
  });
});

/**
 * A pg-style client (`query(sql, params)` → Promise of `{ rows, rowCount }`) over SQLite: the
 * postgres dialect's statements (`$n` placeholders, `ON CONFLICT DO NOTHING`) also run there.
 */
class PgLikeClient implements PgQueryable {
  readonly statements: string[] = [];
  constructor(private readonly db: Database.Database) {}
  async query(sql: string, params: SqlParam[]) {
    this.statements.push(sql);
    await Promise.resolve();
    const statement = this.db.prepare(sql.replace(/\$\d+/g, '?'));
    if (statement.reader) {
      const rows = statement.all(...params);
      return { rows, rowCount: rows.length };
    }
    return { rows: [], rowCount: statement.run(...params).changes };
  }
}

describe('SqlIdempotencyStore with a pg-style client (asynchronous)', () => {
  it('returns Promises, speaks $n placeholders, and records in a transaction client', async () => {
    const db = new Database(':memory:');
    try {
      const pool = new PgLikeClient(db);
      const store = new SqlIdempotencyStore({ executor: pgExecutor(pool), dialect: 'postgres', createTable: true });
      await store.init();
      const seen = store.seen('k');
      expect(seen).toBeInstanceOf(Promise);
      expect(await seen).toBe(false);
      const tx = new PgLikeClient(db);
      expect(await store.record('k', { tx: pgExecutor(tx), result: 'r' })).toBe(true);
      expect(await store.record('k')).toBe(false);
      expect(await store.lookup('k')).toMatchObject({ key: 'k', result: 'r' });
      expect(tx.statements).toEqual([
        expect.stringMatching(/^INSERT INTO jetstream_idempotency .* VALUES \(\$1, \$2, \$3\) ON CONFLICT \(idempotency_key\) DO NOTHING$/),
      ]);
      expect(await store.prune('1h')).toBe(0);
      expect(await store.seen('k')).toBe(true);
    } finally {
      db.close();
    }
  });
});
