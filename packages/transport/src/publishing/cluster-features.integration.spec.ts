import 'reflect-metadata';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx } from '@nestjs/microservices';
import { NatsCluster, natsServerBinaryVersion, resolveNatsServerBinary, waitFor } from '@nest-jetstream/testing';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import { JetStreamClient } from '../client/jetstream.client.js';
import { ATOMIC_BATCH_MIN_SERVER, FAST_BATCH_MIN_SERVER } from '../utils/batch-limits.js';
import { versionAtLeast } from '../utils/server-version.js';
import { JetStreamCron } from '../cron/jetstream-cron.decorator.js';
import { cronScheduleSubject, RECURRING_SCHEDULES_MIN_SERVER } from '../cron/cron-schedule.js';
import Database from 'better-sqlite3';
import { Kvm } from '@nats-io/kv';
import { KvIdempotencyStore } from '../idempotency/kv-idempotency.store.js';
import { OutboxRelay } from '../outbox/outbox-relay.js';
import { sqliteExecutor } from '../sql/sql-executor.js';
import { SqlOutbox } from '../sql/sql-outbox.js';

// #21's publishing features in one 3-node cluster (one cluster for the file, to keep CI short):
// a cron job on an R3 stream with two replicas connected to different nodes (one schedule, each
// tick handled once), atomic and fast-ingest batches on an R3 stream. On servers without them, their errors.
// The outbox relay and the KV idempotency store across a leader change of their R3 stream.
const version = natsServerBinaryVersion(resolveNatsServerBinary());
const seen: { seq: number; delivery: number }[] = [];

@Controller()
class ClusterCronController {
  @JetStreamCron('clustercron.tick', '@every 1s')
  tick(_data: unknown, @Ctx() ctx: JetStreamContext) {
    const { streamSequence: seq, deliveryCount: delivery } = ctx.getInfo();
    seen.push({ seq, delivery });
  }
}

@Module({ controllers: [ClusterCronController] })
class ClusterCronModule {}

describe(`cron jobs and atomic batches in a 3-node cluster (nats-server ${version})`, () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const apps: INestMicroservice[] = [];

  beforeAll(async () => {
    cluster = await NatsCluster.start();
    nc = await connect({ servers: cluster.urls });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await nc?.close();
    await cluster?.stop();
  });

  /** Asks the stream's leader to step down and resolves once another node leads it. */
  const changeLeader = async (stream: string) => {
    const before = (await jsm.streams.info(stream)).cluster?.leader;
    await nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, '', { timeout: 10_000 });
    await waitFor(
      `a new leader of ${stream}`,
      async () => {
        const leader = (await jsm.streams.info(stream).catch(() => undefined))?.cluster?.leader;
        return leader !== undefined && leader !== before;
      },
      { timeout: 30_000, interval: 100 },
    );
  };

  it('the outbox relay publishes every event once across a leader change of its R3 stream', async () => {
    await jsm.streams.add({ name: 'CLUSTEROUTBOX', subjects: ['clusteroutbox.>'], num_replicas: 3 });
    const db = new Database(':memory:');
    const client = new JetStreamClient({ connection: { servers: [cluster.urls[1]] } });
    const outbox = new SqlOutbox({ executor: sqliteExecutor(db), dialect: 'sqlite', createTable: true });
    const relay = new OutboxRelay({ outbox, client, atomic: false, interval: '100ms', logger: { log() {}, warn() {}, error() {} } });
    try {
      await relay.start();
      const ids = outbox.add(Array.from({ length: 50 }, (_, i) => ({ subject: 'clusteroutbox.e', data: i })));
      relay.wake();
      await waitFor('the first 50 published', () => outbox.countPending() === 0, { timeout: 30_000 });
      await changeLeader('CLUSTEROUTBOX');
      ids.push(...outbox.add(Array.from({ length: 50 }, (_, i) => ({ subject: 'clusteroutbox.e', data: 50 + i }))));
      relay.wake();
      await waitFor('the next 50 published', () => outbox.countPending() === 0, { timeout: 60_000 });
      const info = await jsm.streams.info('CLUSTEROUTBOX');
      expect(info.state.messages).toBe(100);
      const msgIds: (string | undefined)[] = [];
      for (let seq = 1; seq <= 100; seq++) msgIds.push((await jsm.streams.getMessage('CLUSTEROUTBOX', { seq }))?.header?.get('Nats-Msg-Id'));
      expect(msgIds).toEqual(ids);
    } finally {
      await relay.stop();
      await client.close();
      db.close();
    }
  });

  it('the KV idempotency store on an R3 bucket keeps its keys across a leader change', async () => {
    const bucket = await new Kvm(nc).create('cluster_idem', { ttl: 60_000, replicas: 3 });
    const store = new KvIdempotencyStore({ bucket });
    await store.init();
    expect(await store.record('C:1')).toBe(true);
    await changeLeader('KV_cluster_idem');
    // The first call after the election may meet the bucket still settling: retried like a redelivery would.
    await waitFor(
      'a key recorded after the leader change',
      () =>
        store
          .record('C:2')
          .then(() => true)
          .catch(() => undefined),
      { timeout: 30_000, interval: 200 },
    );
    expect(await store.seen('C:1')).toBe(true);
    expect(await store.seen('C:2')).toBe(true);
    expect(await store.record('C:1')).toBe(false);
    expect(await store.record('C:2')).toBe(false);
  });

  const streams = [{ name: 'CLUSTERCRON', subjects: ['clustercron.>'], replicas: 3, allowMsgSchedules: true }];
  const boot = async (url: string) => {
    const strategy = new JetStreamServer({ connection: { servers: [url] }, serviceName: 'clustercron', streams, shutdownTimeout: '5s' });
    const app = await NestFactory.createMicroservice(ClusterCronModule, { strategy, logger: false });
    apps.push(app);
    await app.listen();
  };

  it('an atomic batch on an R3 stream, connected to the third node, is stored whole', async () => {
    const client = new JetStreamClient({
      connection: { servers: [cluster.urls[2]] },
      streams: [{ name: 'CLUSTERBATCH', subjects: ['clusterbatch.>'], replicas: 3 }],
    });
    try {
      await client.connect();
      if (!versionAtLeast(version, ATOMIC_BATCH_MIN_SERVER)) {
        await expect(client.publishBatch([{ subject: 'clusterbatch.a', data: 1 }])).rejects.toMatchObject({ code: 'BATCH_UNSUPPORTED' });
        return;
      }
      await jsm.streams.update('CLUSTERBATCH', { subjects: ['clusterbatch.>'], num_replicas: 3, allow_atomic: true });
      const ack = await client.publishBatch(Array.from({ length: 100 }, (_, i) => ({ subject: `clusterbatch.${i % 3}`, data: i, msgId: `cb-${i}` })));
      expect(ack).toMatchObject({ stream: 'CLUSTERBATCH', count: 100, firstSeq: 1, lastSeq: 100 });
      expect((await jsm.streams.info('CLUSTERBATCH')).state.messages).toBe(100);
    } finally {
      await client.close();
    }
  });

  it('a fast-ingest batch on an R3 stream, connected to the second node, is stored whole and in order', async () => {
    const client = new JetStreamClient({ connection: { servers: [cluster.urls[1]] } });
    try {
      if (!versionAtLeast(version, FAST_BATCH_MIN_SERVER)) {
        await jsm.streams.add({ name: 'CLUSTERFAST', subjects: ['clusterfast.>'], num_replicas: 3 });
        await expect(client.publishFastBatch([{ subject: 'clusterfast.a', data: 1 }])).rejects.toMatchObject({ code: 'FAST_BATCH_UNSUPPORTED', sent: 0 });
        return;
      }
      await jsm.streams.add({ name: 'CLUSTERFAST', subjects: ['clusterfast.>'], num_replicas: 3, allow_batched: true });
      const ack = await client.publishFastBatch(Array.from({ length: 500 }, (_, i) => ({ subject: `clusterfast.${i % 4}`, data: i, msgId: `cf-${i}` })));
      expect(ack).toMatchObject({ stream: 'CLUSTERFAST', count: 500, lastSeq: 500, gaps: [] });
      expect((await jsm.streams.info('CLUSTERFAST')).state.messages).toBe(500);
      expect((await jsm.streams.getMessage('CLUSTERFAST', { seq: 500 }))?.json()).toBe(499);
    } finally {
      await client.close();
    }
  });

  if (!versionAtLeast(version, RECURRING_SCHEDULES_MIN_SERVER)) {
    it('refuses to boot, naming the version needed', async () => {
      await expect(boot(cluster.urls[0])).rejects.toThrow(`Upgrade nats-server to ${RECURRING_SCHEDULES_MIN_SERVER} or newer`);
    });
    return;
  }

  it('two replicas on different nodes share one schedule on an R3 stream; every tick is handled once', async () => {
    for (const url of cluster.urls.slice(0, 2)) await boot(url);
    const scheduleSubject = cronScheduleSubject('CLUSTERCRON', 'clustercron', 'clustercron.tick');
    expect((await jsm.streams.info('CLUSTERCRON', { subjects_filter: scheduleSubject })).state.subjects).toEqual({ [scheduleSubject]: 1 });
    await waitFor('three ticks handled', () => new Set(seen.map((s) => s.seq)).size >= 3, { timeout: 20_000 });
    await Promise.all(apps.splice(0).map((a) => a.close()));
    const first = seen.filter((s) => s.delivery === 1);
    expect(new Set(first.map((s) => s.seq)).size).toBe(first.length);
  });
});
