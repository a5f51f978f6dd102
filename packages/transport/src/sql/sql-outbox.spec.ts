import Database from 'better-sqlite3';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { pgExecutor, sqliteExecutor, type PgQueryable, type SqlParam } from './sql-executor.js';
import { SqlOutbox } from './sql-outbox.js';
import { SqlIdempotencyStore } from './sql-idempotency.store.js';

/** A pg-style client over SQLite (as in idempotency-store.spec.ts): the postgres dialect's statements run there too. */
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

describe('SqlOutbox', () => {
  it('refuses a bad executor, dialect or table, and an event it could not publish, naming it', () => {
    const db = new Database(':memory:');
    try {
      const executor = sqliteExecutor(db);
      expect(() => new SqlOutbox({ executor: { run: () => ({ changes: 0 }), get: () => undefined }, dialect: 'sqlite' })).toThrow(
        /executor must have run\(sql, params\) and all\(sql, params\)/,
      );
      expect(() => new SqlOutbox({ executor, dialect: 'mysql' as never })).toThrow(/dialect must be 'sqlite' or 'postgres'; got "mysql"/);
      expect(() => new SqlOutbox({ executor, dialect: 'sqlite', table: 'x; DROP' })).toThrow(JetStreamConfigError);
      // One check for both stores (sql-executor.ts checkTableName), each naming itself.
      expect(() => new SqlOutbox({ executor, dialect: 'sqlite', table: 'x; DROP' })).toThrow(/^SqlOutbox: table .*x; DROP.* is not a plain table name/);
      expect(() => new SqlIdempotencyStore({ executor, dialect: 'sqlite', table: 'a.b.c' })).toThrow(
        /^SqlIdempotencyStore: table .*a\.b\.c.* is not a plain table name/,
      );
      const outbox = new SqlOutbox({ executor, dialect: 'sqlite' });
      outbox.createTable();
      expect(() =>
        outbox.add([
          { subject: 'a.b', data: 1 },
          { subject: 'a.*', data: 2 },
        ]),
      ).toThrow(/event 1's subject wildcards are not allowed/);
      expect(() => outbox.add({ subject: 'a.b', data: undefined })).toThrow(/has data JSON cannot hold/);
      expect(outbox.pending(10)).toEqual([]); // nothing inserted by a refused add
    } finally {
      db.close();
    }
  });

  it('with better-sqlite3: events exist only if the transaction commits, come back in order, and are marked sent once', () => {
    const db = new Database(':memory:');
    try {
      const outbox = new SqlOutbox({ executor: sqliteExecutor(db), dialect: 'sqlite', createTable: true });
      outbox.init();
      const place = db.transaction((fail: boolean) => {
        const ids = outbox.add([
          { subject: 'orders.created', data: { id: 1 } },
          { subject: 'orders.line', data: { id: 1, n: 1 }, headers: { 'x-a': 'b' } },
        ]);
        if (fail) throw new Error('rolled back');
        return ids;
      });
      expect(() => place(true)).toThrow('rolled back');
      expect(outbox.pending(10)).toEqual([]);
      const ids = place(false);
      const later = outbox.add({ subject: 'orders.created', data: { id: 2 } });
      const pending = outbox.pending(10) as { id: string }[];
      expect(pending).toEqual([
        { id: ids[0], subject: 'orders.created', data: { id: 1 } },
        { id: ids[1], subject: 'orders.line', data: { id: 1, n: 1 }, headers: { 'x-a': 'b' } },
        { id: later[0], subject: 'orders.created', data: { id: 2 } },
      ]);
      expect(outbox.markSent(ids)).toBe(2);
      expect(outbox.markSent(ids)).toBe(0);
      expect((outbox.pending(10) as { id: string }[]).map((e) => e.id)).toEqual(later);
      expect(outbox.prune('1h')).toBe(0);
    } finally {
      db.close();
    }
  });

  it('with a pg-style client: Promises, $n placeholders, the add inside the transaction client', async () => {
    const db = new Database(':memory:');
    try {
      const pool = new PgLikeClient(db);
      const outbox = new SqlOutbox({ executor: pgExecutor(pool), dialect: 'postgres', createTable: true });
      await outbox.init();
      const tx = new PgLikeClient(db);
      const added = outbox.add(
        [
          { subject: 'a.b', data: 'x' },
          { subject: 'a.c', data: 'y' },
        ],
        { tx: pgExecutor(tx) },
      );
      expect(added).toBeInstanceOf(Promise);
      const ids = await added;
      expect(tx.statements).toEqual([
        expect.stringMatching(/^INSERT INTO jetstream_outbox \(id, subject, data, headers, created_at\) VALUES \(\$1, \$2, \$3, \$4, \$5\)$/),
        expect.stringMatching(/^INSERT INTO jetstream_outbox/),
      ]);
      expect((await outbox.pending(1)).map((e) => e.id)).toEqual([ids[0]]);
      expect(await outbox.markSent(ids)).toBe(2);
      expect(pool.statements.at(-1)).toMatch(/^UPDATE jetstream_outbox SET sent_at = \$1 WHERE sent_at IS NULL AND id IN \(\$2, \$3\)$/);
      expect(await outbox.pending(10)).toEqual([]);
    } finally {
      db.close();
    }
  });
});
