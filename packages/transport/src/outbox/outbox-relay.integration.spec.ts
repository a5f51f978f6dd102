import Database from 'better-sqlite3';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { sqliteExecutor, type SyncSqlExecutor } from '../sql/sql-executor.js';
import { SqlOutbox } from '../sql/sql-outbox.js';
import { OutboxRelay } from './outbox-relay.js';

describe('OutboxRelay', () => {
  const h = new Harness();
  let client: JetStreamClient;
  let db: Database.Database;
  let outbox: SqlOutbox<SyncSqlExecutor>;
  beforeAll(async () => {
    await h.start();
    client = new JetStreamClient({ connection: { servers: h.server.url } });
    db = new Database(':memory:');
    outbox = new SqlOutbox({ executor: sqliteExecutor(db), dialect: 'sqlite', createTable: true });
  });
  afterAll(async () => {
    await client.close();
    db.close();
    await h.stop();
  });

  it('checks its options at construction, naming the bad one', () => {
    expect(() => new OutboxRelay({ outbox, client, batchSize: 1001 })).toThrow(/batchSize is 1001; use a whole number from 1 to 1000/);
    expect(() => new OutboxRelay({ outbox, client, atomic: 'yes' as never })).toThrow(/atomic is "yes"; use 'auto', true or false/);
    expect(() => new OutboxRelay({ outbox: {} as never, client })).toThrow(JetStreamConfigError);
    expect(() => new OutboxRelay({ outbox, client, interval: 'soon' as never })).toThrow(/interval/);
  });

  it('relays in the background: an event added after start() is published on wake(), with its row id as msgId, and marked sent', async () => {
    const stream = uniqueName('RELAY');
    const subject = stream.toLowerCase();
    await h.jsm.streams.add({ name: stream, subjects: [`${subject}.>`] });
    const relay = new OutboxRelay({ outbox, client, interval: '1m' });
    await relay.start();
    try {
      const [id] = outbox.add({ subject: `${subject}.created`, data: { id: 7 } });
      relay.wake();
      await waitFor('the event published', async () => (await h.jsm.streams.info(stream)).state.messages === 1);
      await waitFor('the event marked sent', () => outbox.pending(10).length === 0);
      expect((await h.jsm.streams.getMessage(stream, { seq: 1 }))?.header?.get('Nats-Msg-Id')).toBe(id);
      expect(relay.stats).toMatchObject({ relayed: 1, duplicates: 0, failedPasses: 0 });
    } finally {
      await relay.stop();
    }
  });
});
