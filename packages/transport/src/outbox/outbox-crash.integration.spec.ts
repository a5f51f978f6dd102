// The outbox's promise, tested by killing the relay process (SIGKILL) at each step: an order and
// its events are committed together; whatever step the relay dies at, a new relay (here in the
// test's process) publishes each event exactly once (the row id as msgId; the stream's duplicate
// window covers the restart). One child per crash, atomic batches where the server has them, plus
// single publishes for the step that needs the dedup; the children run side by side (each costs
// seconds to start here), each test checks its own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { NdjsonProcess, natsServerBinaryVersion, resolveNatsServerBinary } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamClient } from '../client/jetstream.client.js';
import { sqliteExecutor } from '../sql/sql-executor.js';
import { OutboxRelay } from './outbox-relay.js';
import { SqlOutbox } from '../sql/sql-outbox.js';
import { ATOMIC_BATCH_MIN_SERVER } from '../utils/batch-limits.js';
import { versionAtLeast } from '../utils/server-version.js';

const register = join(__dirname, '../../../../scripts/register.cjs');
const child = join(__dirname, '../__fixtures__/outbox-relay-child.ts');
const version = natsServerBinaryVersion(resolveNatsServerBinary());
const atomicHere = versionAtLeast(version, ATOMIC_BATCH_MIN_SERVER);

interface Line {
  event: string;
  message?: string;
}

describe(`outbox relay killed at each step (nats-server ${version}, ${atomicHere ? 'atomic batches' : 'single publishes'})`, () => {
  const h = new Harness();
  let dir: string;
  let client: JetStreamClient;
  beforeAll(async () => {
    await h.start();
    dir = mkdtempSync(join(tmpdir(), 'nest-jetstream-outbox-'));
    client = new JetStreamClient({ connection: { servers: h.server.url } });
  });
  afterAll(async () => {
    await client.close();
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const relay = (file: string, crash: string, atomic = true) =>
    NdjsonProcess.spawn<Line>(process.execPath, ['-r', register, child], {
      env: { ...process.env, NATS_URL: h.server.url, OUTBOX_DB: file, OUTBOX_CRASH: crash, OUTBOX_ATOMIC: String(atomic) },
    });

  /** A database with an order committed together with its three events; returns the events' ids. */
  function placeOrder(file: string, subject: string): string[] {
    const db = new Database(file);
    try {
      const outbox = new SqlOutbox({ executor: sqliteExecutor(db), dialect: 'sqlite' });
      outbox.createTable();
      db.prepare('CREATE TABLE orders (id TEXT PRIMARY KEY, total INTEGER)').run();
      return db.transaction(() => {
        db.prepare('INSERT INTO orders (id, total) VALUES (?, ?)').run('o-1', 42);
        return outbox.add([
          { subject: `${subject}.created`, data: { id: 'o-1', total: 42 } },
          { subject: `${subject}.line`, data: { id: 'o-1', sku: 'A' } },
          { subject: `${subject}.line`, data: { id: 'o-1', sku: 'B' }, headers: { 'x-order': 'o-1' } },
        ]);
      })();
    } finally {
      db.close();
    }
  }

  const unsent = (file: string) => {
    const db = new Database(file, { readonly: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM jetstream_outbox WHERE sent_at IS NULL').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  const cases = (
    [
      ['after-read', 0, 3],
      ['after-publish', 3, 3],
      ['after-mark', 3, 0],
    ] as const
  ).flatMap(([crash, storedAfterCrash, unsentAfterCrash]) =>
    (atomicHere ? (crash === 'after-publish' ? [true, false] : [true]) : [false]).map((atomic) => ({ crash, storedAfterCrash, unsentAfterCrash, atomic })),
  );

  /**
   * Each case's crashed relay, started together in beforeAll (each child costs seconds to start
   * here; they are independent: a stream and a database each), awaited by its test.
   */
  const crashed = new Map<(typeof cases)[number], Promise<{ stream: string; file: string; ids: string[]; exit: Promise<unknown> }>>();
  beforeAll(() => {
    for (const c of cases) {
      crashed.set(
        c,
        (async () => {
          const stream = uniqueName('OUTBOX');
          const subject = stream.toLowerCase();
          await h.jsm.streams.add({ name: stream, subjects: [`${subject}.>`], ...(atomicHere && { allow_atomic: true }) });
          const file = join(dir, `${stream}.sqlite`);
          const ids = placeOrder(file, subject);
          return { stream, file, ids, exit: relay(file, c.crash, c.atomic).exited };
        })(),
      );
    }
  });

  for (const c of cases) {
    const { crash, storedAfterCrash, unsentAfterCrash, atomic } = c;
    it(`killed ${crash}${atomic ? '' : ' (single publishes)'}: the next relay publishes each event once`, async () => {
      const { stream, file, ids, exit } = await crashed.get(c)!;
      expect(await exit).toMatchObject({ signal: 'SIGKILL' });
      expect((await h.jsm.streams.info(stream)).state.messages).toBe(storedAfterCrash);
      expect(unsent(file)).toBe(unsentAfterCrash);
      const db = new Database(file);
      try {
        const next = new OutboxRelay({ outbox: new SqlOutbox({ executor: sqliteExecutor(db), dialect: 'sqlite' }), client, atomic: atomic ? 'auto' : false });
        while ((await next.relayOnce()) > 0);
        expect(next.stats).toMatchObject({ relayed: unsentAfterCrash, duplicates: crash === 'after-publish' ? 3 : 0 });
      } finally {
        db.close();
      }
      const info = await h.jsm.streams.info(stream);
      expect(info.state.messages).toBe(3);
      const stored = await Promise.all([1, 2, 3].map((seq) => h.jsm.streams.getMessage(stream, { seq })));
      expect(stored.map((m) => m?.header?.get('Nats-Msg-Id'))).toEqual(ids);
      expect(stored.map((m) => m?.json())).toEqual([
        { id: 'o-1', total: 42 },
        { id: 'o-1', sku: 'A' },
        { id: 'o-1', sku: 'B' },
      ]);
      expect(stored[2]?.header?.get('x-order')).toBe('o-1');
      expect(unsent(file)).toBe(0);
    });
  }
});
