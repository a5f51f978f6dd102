import Database from 'better-sqlite3';
import { Registry } from 'prom-client';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { sqliteExecutor, type SyncSqlExecutor } from '../sql/sql-executor.js';
import { SqlOutbox } from '../sql/sql-outbox.js';
import { OutboxRelayMetrics } from '../metrics/outbox-relay.metrics.js';
import { OutboxRelay } from './outbox-relay.js';
import { JetStreamMetrics } from '../metrics/jetstream.metrics.js';
import { ConnectionUnavailableError, UnknownConnectionError } from '../connections/connection-errors.js';
import { freePort } from '@nest-jetstream/testing';

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

  it('relays through a named connection of its client; an undeclared one is refused, a down one leaves the events pending', async () => {
    const stream = uniqueName('RELAYC');
    const subject = stream.toLowerCase();
    await h.jsm.streams.add({ name: stream, subjects: [`${subject}.>`] });
    const registry = new Registry();
    const nowhere = `nats://127.0.0.1:${await freePort()}`;
    const named = new JetStreamClient({
      connection: { servers: h.server.url },
      connections: { second: { connection: { servers: h.server.url } }, away: { connection: { servers: nowhere }, critical: false } },
      metrics: new JetStreamMetrics({ registry }),
    });
    const cdb = new Database(':memory:');
    try {
      const cOutbox = new SqlOutbox({ executor: sqliteExecutor(cdb), dialect: 'sqlite', createTable: true });
      cOutbox.init();
      expect(() => new OutboxRelay({ outbox: cOutbox, client: named, connection: 'secnd' })).toThrow(UnknownConnectionError);
      cOutbox.add({ subject: `${subject}.a`, data: 1 });
      await new OutboxRelay({ outbox: cOutbox, client: named, connection: 'second', atomic: false }).relayOnce();
      expect(cOutbox.pending(10)).toEqual([]);
      const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'nest_jetstream_publish_duration_seconds');
      const series = (metric?.values ?? []) as { value: number; labels: Record<string, string | number>; metricName?: string }[];
      expect(series.find((v) => v.labels.connection === 'second' && v.labels.stream === stream && v.metricName?.endsWith('_count'))?.value).toBe(1);
      cOutbox.add({ subject: `${subject}.b`, data: 2 });
      await expect(new OutboxRelay({ outbox: cOutbox, client: named, connection: 'away' }).relayOnce()).rejects.toThrow(ConnectionUnavailableError);
      expect(cOutbox.pending(10)).toHaveLength(1);
    } finally {
      await named.close();
      cdb.close();
    }
  });

  it('reports published, duplicates, failed passes and pending per outbox table (OutboxRelayMetrics)', async () => {
    const stream = uniqueName('RELAYM');
    const subject = stream.toLowerCase();
    await h.jsm.streams.add({ name: stream, subjects: [`${subject}.>`], duplicate_window: 60_000_000_000 });
    const mdb = new Database(':memory:');
    try {
      const mOutbox = new SqlOutbox({ executor: sqliteExecutor(mdb), dialect: 'sqlite', table: 'metrics_outbox', createTable: true });
      mOutbox.init();
      const registry = new Registry();
      const relay = new OutboxRelay({ outbox: mOutbox, client, atomic: false });
      new OutboxRelayMetrics({ registry }).watch(relay);
      const [first] = mOutbox.add([
        { subject: `${subject}.a`, data: 1 },
        { subject: `${subject}.b`, data: 2 },
      ]);
      // The first event already in the stream with its msgId: a relay that died before its mark.
      await client.publish(`${subject}.a`, 1, { msgId: first });
      let text = await registry.metrics();
      expect(text).toContain('nest_jetstream_outbox_pending_events{table="metrics_outbox"} 2');
      expect(text).toContain('nest_jetstream_outbox_published_total{table="metrics_outbox"} 0');
      await relay.relayOnce();
      // A subject no stream holds: the pass fails and is counted (the loop counts it; relayOnce throws).
      mOutbox.add({ subject: 'nobody.listens.here', data: 3 });
      await relay.start();
      await waitFor('the failed pass counted', () => relay.stats.failedPasses > 0, { timeout: 30_000 });
      await relay.stop();
      text = await registry.metrics();
      expect(text).toContain('nest_jetstream_outbox_published_total{table="metrics_outbox"} 2');
      expect(text).toContain('nest_jetstream_outbox_duplicates_total{table="metrics_outbox"} 1');
      expect(text).toMatch(/nest_jetstream_outbox_failed_passes_total\{table="metrics_outbox"\} [1-9]/);
      expect(text).toContain('nest_jetstream_outbox_pending_events{table="metrics_outbox"} 1');
    } finally {
      mdb.close();
    }
  });

  it('OutboxRelayMetrics refuses a prefix Prometheus cannot hold', () => {
    expect(() => new OutboxRelayMetrics({ registry: new Registry(), prefix: 'bad-prefix' })).toThrow(/prefix "bad-prefix" is not a Prometheus name prefix/);
  });
});
