import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { sqliteExecutor } from '../sql/sql-executor.js';
import { SqlIdempotencyStore } from '../sql/sql-idempotency.store.js';

// The application's database: its effects, its checkpoint (written every 10 messages, as an app
// that batches would) and the idempotency keys, all in one SQLite file and one transaction per message.
const dir = mkdtempSync(join(tmpdir(), 'checkpoint-replay-'));
const db = new Database(join(dir, 'app.sqlite'));
db.exec('CREATE TABLE effects (n INTEGER NOT NULL); CREATE TABLE checkpoint (subject TEXT PRIMARY KEY, seq INTEGER NOT NULL)');
const executor = sqliteExecutor(db);
const store = new SqlIdempotencyStore({ executor, dialect: 'sqlite' });
store.createTable();
let crashed = false;
let restarted = false;
let duplicatesSkipped = 0;

const apply = db.transaction((key: string, n: number, seq: number, subject: string) => {
  // The key commits with the effect: a message applied before the crash is never applied again.
  if (store.record(key, { tx: executor })) db.prepare('INSERT INTO effects (n) VALUES (?)').run(n);
  else duplicatesSkipped++;
  if (n % 10 === 0) db.prepare('INSERT INTO checkpoint (subject, seq) VALUES (?, ?) ON CONFLICT (subject) DO UPDATE SET seq = excluded.seq').run(subject, seq);
});

@Controller()
class LedgerController {
  @JetStreamEvent('books.entry', { mode: 'ordered', deliverPolicy: 'all', backoff: ['50ms'], maxDeliver: 1000 })
  entry(@Payload() data: { n: number }, @Ctx() ctx: JetStreamContext) {
    // After the crash this process does nothing more (it would be dead).
    if (crashed) throw new Error('the process is dead');
    apply(ctx.idempotencyKey, data.n, ctx.getInfo().streamSequence, ctx.getSubject());
    if (data.n === 57 && !restarted) crashed = true;
  }
}

@Module({ controllers: [LedgerController] })
class LedgerModule {}

describe('replay from a stored checkpoint after a crash, with the idempotency store (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('BOOKS');

  beforeAll(() => h.start());
  afterAll(async () => {
    await h.stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('handles every message after the checkpoint exactly once', async () => {
    await h.jsm.streams.add({ name: stream, subjects: ['books.>'] });
    for (let n = 1; n <= 100; n++) await h.js.publish('books.entry', JSON.stringify({ n }));
    const checkpoints = ({ subject }: { subject: string }) => {
      const row = db.prepare('SELECT seq FROM checkpoint WHERE subject = ?').get(subject) as { seq: number } | undefined;
      return row ? { afterSequence: row.seq } : undefined;
    };
    const first = await h.app(LedgerModule, { serviceName: 'books', checkpoints });
    await waitFor('the crash at entry 57', () => crashed, { timeout: 15_000 });
    await first.app.close();

    // The restart reads from the checkpoint (entry 50): entries 51 to 57 come again and are skipped.
    crashed = false;
    restarted = true;
    await h.app(LedgerModule, { serviceName: 'books', checkpoints });
    await waitFor('all 100 entries applied', () => (db.prepare('SELECT COUNT(*) AS c FROM effects').get() as { c: number }).c >= 100, { timeout: 15_000 });
    const applied = (db.prepare('SELECT n FROM effects ORDER BY rowid').all() as { n: number }[]).map((r) => r.n);
    expect(applied).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(duplicatesSkipped).toBe(7);
  });
});
