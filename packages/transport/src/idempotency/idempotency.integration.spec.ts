import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Controller, Module, type LoggerService } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, Probe, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { JetStreamServer } from '../server/jetstream.server.js';
import type { IdempotencyRecordOptions, IdempotencyStore } from '../interfaces/idempotency-store.interface.js';
import type { Duration } from '../utils/duration.js';
import { sqliteExecutor, type SyncSqlExecutor } from '../sql/sql-executor.js';
import { SqlIdempotencyStore } from '../sql/sql-idempotency.store.js';

interface Run {
  subject: string;
  seq: number;
  key: string;
}

/** The SQL store on a better-sqlite3 file, with switches that make it fail like a database that is down. */
class SwitchableStore implements IdempotencyStore {
  failSeen = false;
  failRecordOnce = false;
  readonly seenCalls = new Map<string, number>();
  constructor(readonly sql: SqlIdempotencyStore<SyncSqlExecutor>) {}
  seen(key: string): boolean {
    this.seenCalls.set(key, (this.seenCalls.get(key) ?? 0) + 1);
    if (this.failSeen) throw new Error('SQLITE_BUSY: database is locked');
    return this.sql.seen(key);
  }
  record(key: string, options?: IdempotencyRecordOptions): boolean {
    if (this.failRecordOnce) {
      this.failRecordOnce = false;
      throw new Error('SQLITE_IOERR: disk I/O error');
    }
    return this.sql.record(key, options as IdempotencyRecordOptions<SyncSqlExecutor>);
  }
  prune(olderThan: Duration): number {
    return this.sql.prune(olderThan);
  }
  init(): void {
    this.sql.init();
  }
}

const runs = new Probe<Run>();
const crashed = new Set<string>();
let db: Database.Database;
let store: SwitchableStore;
let sideEffect: (key: string, n: number) => void;

const note = (ctx: JetStreamContext) => runs.add({ subject: ctx.getSubject(), seq: ctx.getInfo().streamSequence, key: ctx.idempotencyKey });

@Controller()
class IdempotentController {
  @JetStreamEvent('idem.seq', { idempotent: true, backoff: ['200ms'], maxDeliver: 20 })
  bySequence(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    note(ctx);
  }

  @JetStreamEvent('idem.msgid', { idempotent: { key: 'msgId' } })
  byMsgId(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    note(ctx);
  }

  /** Writes its effect and its key in one transaction, then fails once after the commit (a crash before the ack). */
  @JetStreamEvent('idem.crash', { idempotent: true, backoff: ['100ms'], maxDeliver: 3 })
  crashAfterCommit(@Payload() data: { n: number }, @Ctx() ctx: JetStreamContext) {
    note(ctx);
    sideEffect(ctx.idempotencyKey, data.n);
    if (!crashed.has(ctx.idempotencyKey)) {
      crashed.add(ctx.idempotencyKey);
      throw new Error('crashed after the commit');
    }
  }

  @JetStreamEvent('idem.plain')
  plain(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    note(ctx);
  }
}

@Module({ controllers: [IdempotentController] })
class IdempotentModule {}

@Controller()
class NoStoreController {
  @JetStreamEvent('nostore.created', { idempotent: true })
  created() {}
}

@Module({ controllers: [NoStoreController] })
class NoStoreModule {}

describe('idempotent handlers (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('IDEM');
  const dir = mkdtempSync(join(tmpdir(), 'idempotency-'));
  const logs: string[] = [];
  let strategy: JetStreamServer;
  const logger: LoggerService = {
    log: (m: unknown) => logs.push(`log ${String(m)}`),
    error: (m: unknown) => logs.push(`error ${String(m)}`),
    warn: (m: unknown) => logs.push(`warn ${String(m)}`),
    debug: (m: unknown) => logs.push(`debug ${String(m)}`),
  };
  const durable = (subject: string) => `idem-spec__${subject.replace(/\./g, '_')}`;
  const settled = (subject: string, seq: number) =>
    waitFor(`message ${seq} on ${subject} to be acked, nothing pending`, async () => {
      const info = await h.jsm.consumers.info(stream, durable(subject));
      return info.num_ack_pending === 0 && info.num_pending === 0 && info.ack_floor.stream_seq >= seq;
    });

  beforeAll(async () => {
    db = new Database(join(dir, 'app.sqlite'));
    db.exec('CREATE TABLE effects (key TEXT NOT NULL, n INTEGER NOT NULL)');
    const sql = new SqlIdempotencyStore({ executor: sqliteExecutor(db), dialect: 'sqlite', createTable: true });
    store = new SwitchableStore(sql);
    const write = db.transaction((key: string, n: number) => {
      db.prepare('INSERT INTO effects (key, n) VALUES (?, ?)').run(key, n);
      sql.record(key);
    });
    sideEffect = (key, n) => write(key, n);
    await h.start();
    ({ strategy } = await h.app(
      IdempotentModule,
      { serviceName: 'idem-spec', streams: [{ name: stream, subjects: ['idem.>'] }], idempotency: { store, pruneInterval: '1h' } },
      (app) => app.useLogger(logger),
    ));
  });
  afterAll(async () => {
    await h.stop();
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('acks a message whose key is already recorded, without running the handler', async () => {
    const next = (await h.jsm.streams.info(stream)).state.last_seq + 1;
    store.sql.record(`${stream}:${next}`);
    const { seq } = await h.js.publish('idem.seq', '{}');
    expect(seq).toBe(next);
    await settled('idem.seq', seq);
    const marker = await h.js.publish('idem.seq', '{}');
    await waitFor(
      'the next message to be handled and recorded',
      () => runs.count((r) => r.seq === marker.seq) === 1 && store.sql.seen(`${stream}:${marker.seq}`),
    );
    expect(runs.count((r) => r.seq === seq)).toBe(0);
    expect(runs.seen.find((r) => r.seq === marker.seq)?.key).toBe(`${stream}:${marker.seq}`);
    expect(logs).toContainEqual(
      expect.stringMatching(
        new RegExp(`^debug @JetStreamEvent\\('idem.seq'\\).* skipped message ${seq} .*already recorded; acked without running the handler`),
      ),
    );
  });

  it("keys by the publisher's msgId: a second publish after the dedup window is not handled again", async () => {
    const client = new JetStreamClient({ connection: { servers: h.server.url } });
    try {
      store.sql.record('order-7');
      const duplicate = await client.publish('idem.msgid', { n: 7 }, { msgId: 'order-7' });
      const fresh = await client.publish('idem.msgid', { n: 8 }, { msgId: 'order-8' });
      await settled('idem.msgid', fresh.seq);
      await waitFor('the fresh message to be handled', () => runs.count((r) => r.seq === fresh.seq) === 1);
      expect(runs.count((r) => r.seq === duplicate.seq)).toBe(0);
      expect(runs.seen.find((r) => r.seq === fresh.seq)?.key).toBe('order-8');
      expect(store.sql.seen('order-8')).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('a handler that committed its effect and key, then failed: the redelivery is acked without a second effect', async () => {
    const { seq } = await h.js.publish('idem.crash', JSON.stringify({ n: 1 }));
    const key = `${stream}:${seq}`;
    await settled('idem.crash', seq);
    expect(crashed.has(key)).toBe(true);
    expect(runs.count((r) => r.seq === seq)).toBe(1);
    expect(db.prepare('SELECT count(*) AS n FROM effects WHERE key = ?').get(key)).toEqual({ n: 1 });
    expect(logs).toContainEqual(expect.stringMatching(new RegExp(`^debug @JetStreamEvent\\('idem.crash'\\).* skipped message ${seq} `)));
  });

  it('a store that cannot answer seen(): nak with backoff, the handler waits, nothing is lost', async () => {
    store.failSeen = true;
    const { seq } = await h.js.publish('idem.seq', '{}');
    const key = `${stream}:${seq}`;
    await waitFor('the message to come back after the nak', () => (store.seenCalls.get(key) ?? 0) >= 2);
    expect(runs.count((r) => r.seq === seq)).toBe(0);
    expect(logs).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^error @JetStreamEvent\\('idem.seq'\\) \\(durable idem-spec__idem_seq\\) did not run for message ${seq} .*"${key}" could not be checked: Error: SQLITE_BUSY.*naked and redelivered in 200 ms`,
        ),
      ),
    );
    store.failSeen = false;
    await waitFor('the handler to run once the store answers', () => runs.count((r) => r.seq === seq) === 1);
    await settled('idem.seq', seq);
    expect(store.sql.seen(key)).toBe(true);
  });

  it('a store that cannot record after success: nak, said in the log; the redelivery records it', async () => {
    store.failRecordOnce = true;
    const { seq } = await h.js.publish('idem.seq', '{}');
    const key = `${stream}:${seq}`;
    await waitFor('the key to be recorded on the redelivery', () => store.sql.seen(key));
    await settled('idem.seq', seq);
    expect(runs.count((r) => r.seq === seq)).toBeGreaterThanOrEqual(2);
    expect(logs).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^error @JetStreamEvent\\('idem.seq'\\).* handled message ${seq} .*"${key}" could not be recorded: Error: SQLITE_IOERR.*the handler runs again unless it recorded the key in its own transaction`,
        ),
      ),
    );
  });

  it('costs nothing for handlers not marked idempotent: no store call, the key still readable', async () => {
    const { seq } = await h.js.publish('idem.plain', '{}');
    await waitFor('the plain handler to run', () => runs.count((r) => r.seq === seq) === 1);
    await settled('idem.plain', seq);
    expect(store.seenCalls.has(`${stream}:${seq}`)).toBe(false);
    expect(store.sql.seen(`${stream}:${seq}`)).toBe(false);
    expect(runs.seen.find((r) => r.seq === seq)?.key).toBe(`${stream}:${seq}`);
  });

  it('shows which handlers are idempotent, and by which key', () => {
    const byKey = Object.fromEntries(strategy.bindings.map((b) => [b.subject, b.idempotency]));
    expect(byKey).toEqual({ 'idem.seq': 'sequence', 'idem.msgid': 'msgId', 'idem.crash': 'sequence', 'idem.plain': undefined });
  });

  it('refuses to boot an idempotent handler without a store, naming the handler and the fix', async () => {
    const error = await h.app(NoStoreModule, { serviceName: 'idem-nostore', streams: [{ name: uniqueName('NOSTORE'), subjects: ['nostore.>'] }] }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(JetStreamConfigError);
    expect((error as Error).message).toMatch(
      /@JetStreamEvent\('nostore.created'\) on NoStoreController\.created is marked idempotent, but the server has no idempotency store.*Add idempotency: \{ store \}/,
    );
  });
});
