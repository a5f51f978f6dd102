import 'reflect-metadata';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Controller, Module, type INestMicroservice, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { NatsCluster, natsServerBinaryVersion, resolveNatsServerBinary, waitFor } from '@nest-jetstream/testing';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { CONSUMER_FEATURES } from '../delivery/consumer-features.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import { versionAtLeast } from '../utils/server-version.js';

// A paused consumer on an R3 stream in a 3-node cluster stays paused while its consumer's leader
// and then its stream's leader move to another node (the pause is replicated state, not the old
// leader's), with the app connected and pulling all along; resume() then delivers the backlog.
// Pause needs nats-server 2.11: on older servers no cluster is started (pause.integration.spec.ts
// checks their error), so the oldest-server pass costs nothing; nor on the NestJS 11 pass, which
// runs the same server (what is tested here is the server's replicated state, not Nest's).
// The same app has a batch handler: its batches on the R3 stream go on across a stream-leader move.
// And an overflow handler on the R3 stream: a standby on another node is served only past its threshold.

const version = natsServerBinaryVersion(resolveNatsServerBinary());
const supported = versionAtLeast(version, CONSUMER_FEATURES.pause.minServer) && process.env.NEST_COMPAT !== '11';
const handled: number[] = [];
const bulk: number[] = [];
const STREAM = 'PAUSECLUSTER';
const DURABLE = 'pause-cluster__pausecluster_work';

@Controller()
class PausedController {
  @JetStreamEvent('pausecluster.work')
  work(@Payload() data: { n: number }) {
    handled.push(data.n);
  }

  @JetStreamEvent('pausecluster.bulk', { batch: { size: 10, maxWait: '100ms' } })
  bulk(@Payload() items: { n: number }[]) {
    bulk.push(...items.map((i) => i.n));
  }
}

@Module({ controllers: [PausedController] })
class PausedModule {}

const OVERFLOW_THRESHOLD = 20;
const overflowBy = { primary: new Set<number>(), standby: new Set<number>() };

@Controller()
class OverflowStandbyController {
  @JetStreamEvent('pausecluster.over', { overflow: { minPending: OVERFLOW_THRESHOLD, standby: true } })
  work(@Payload() data: { n: number }) {
    overflowBy.standby.add(data.n);
  }
}

@Controller()
class OverflowPrimaryController {
  @JetStreamEvent('pausecluster.over', { overflow: { minPending: OVERFLOW_THRESHOLD } })
  work(@Payload() data: { n: number }) {
    overflowBy.primary.add(data.n);
  }
}

@Module({ controllers: [OverflowStandbyController] })
class OverflowStandbyModule {}

@Module({ controllers: [OverflowPrimaryController] })
class OverflowPrimaryModule {}

describe(`a paused consumer and a batch handler across leader changes in a 3-node cluster (nats-server ${version})`, () => {
  let cluster: NatsCluster | undefined;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let app: INestMicroservice | undefined;
  const others: INestMicroservice[] = [];

  beforeAll(async () => {
    if (!supported) return;
    cluster = await NatsCluster.start();
    nc = await connect({ servers: cluster.urls });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await Promise.all(others.map((a) => a.close()));
    await app?.close();
    await nc?.close();
    await cluster?.stop();
  });

  /** Asks the leader of `what` to step down and resolves once another node leads it. */
  const moveLeader = async (what: string, api: string, leader: () => Promise<string | undefined>) => {
    const before = await leader();
    await nc.request(api, '', { timeout: 10_000 });
    await waitFor(
      `a new leader of ${what}`,
      async () => {
        const now = await leader().catch(() => undefined);
        return now !== undefined && now !== before;
      },
      { timeout: 30_000, interval: 100 },
    );
  };
  const consumerInfo = () => jsm.consumers.info(STREAM, DURABLE);
  const expectStillPaused = async () => {
    const info = await consumerInfo();
    expect(info.paused).toBe(true);
    // Held by the server, none delivered.
    expect({ pending: info.num_pending, ackPending: info.num_ack_pending, handled }).toEqual({ pending: 3, ackPending: 0, handled: [] });
  };

  it('stays paused while the consumer leader and the stream leader move, then resumes and delivers everything', async () => {
    if (!supported) return;
    const strategy = new JetStreamServer({
      connection: { servers: [cluster!.urls[1]] },
      serviceName: 'pause-cluster',
      streams: [{ name: STREAM, subjects: ['pausecluster.>'], replicas: 3 }],
      shutdownTimeout: '5s',
    });
    app = await NestFactory.createMicroservice(PausedModule, { strategy, logger: false });
    await app.listen();
    expect(await strategy.consumers.pause('pausecluster.work')).toMatchObject({ paused: true });
    const js = jetstream(nc);
    for (let n = 1; n <= 3; n++) await js.publish('pausecluster.work', JSON.stringify({ n }));
    await waitFor('the three messages pending on the paused consumer', async () => (await consumerInfo()).num_pending === 3);
    await expectStillPaused();

    await moveLeader(`consumer ${DURABLE}`, `$JS.API.CONSUMER.LEADER.STEPDOWN.${STREAM}.${DURABLE}`, async () => (await consumerInfo()).cluster?.leader);
    await expectStillPaused();
    expect(await strategy.consumers.pauseState('pausecluster.work')).toMatchObject({ paused: true });

    await moveLeader(`stream ${STREAM}`, `$JS.API.STREAM.LEADER.STEPDOWN.${STREAM}`, async () => (await jsm.streams.info(STREAM)).cluster?.leader);
    await expectStillPaused();

    // The first request after an election may meet the consumer still settling: retried.
    await waitFor(
      'resume() answered',
      () =>
        strategy.consumers
          .resume('pausecluster.work')
          .then((s) => !s.paused)
          .catch(() => false),
      { timeout: 30_000, interval: 200 },
    );
    await waitFor('the backlog handled after resume', () => [1, 2, 3].every((n) => handled.includes(n)), { timeout: 30_000 });
    await waitFor('nothing left pending', async () => {
      const info = await consumerInfo();
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
  }, 120_000);

  it('a batch handler on the R3 stream handles every message across a stream-leader move, each acknowledged', async () => {
    if (!supported) return;
    expect(app).toBeDefined();
    const js = jetstream(nc);
    const publish = async (from: number) => {
      for (let n = from; n < from + 30; n++) await js.publish('pausecluster.bulk', JSON.stringify({ n }));
    };
    await publish(0);
    await waitFor('the first 30 handled in batches', () => new Set(bulk).size >= 30, { timeout: 30_000 });
    await moveLeader(`stream ${STREAM}`, `$JS.API.STREAM.LEADER.STEPDOWN.${STREAM}`, async () => (await jsm.streams.info(STREAM)).cluster?.leader);
    // A publish right after the election may meet the stream still settling: retried, as a producer would.
    await waitFor(
      'the next 30 published',
      () =>
        publish(30).then(
          () => true,
          () => false,
        ),
      { timeout: 30_000, interval: 200 },
    );
    await waitFor('all 60 handled', () => new Set(bulk).size === 60, { timeout: 30_000 });
    await waitFor('nothing left pending on the batch consumer', async () => {
      const info = await jsm.consumers.info(STREAM, 'pause-cluster__pausecluster_bulk');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
    expect([...new Set(bulk)].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, n) => n));
  }, 120_000);

  it('an overflow standby on another node is served only past its threshold; a primary takes the rest', async () => {
    if (!supported) return;
    const boot = async (module: Type<unknown>, url: string) => {
      const strategy = new JetStreamServer({
        connection: { servers: [url] },
        serviceName: 'pause-cluster',
        streams: [{ name: STREAM, subjects: ['pausecluster.>'], replicas: 3 }],
        shutdownTimeout: '5s',
      });
      const other = await NestFactory.createMicroservice(module, { strategy, logger: false });
      others.push(other);
      await other.listen();
    };
    await boot(OverflowStandbyModule, cluster!.urls[2]);
    const info = () => jsm.consumers.info(STREAM, 'pause-cluster__pausecluster_over');
    const js = jetstream(nc);
    for (let n = 0; n < OVERFLOW_THRESHOLD - 1; n++) await js.publish('pausecluster.over', JSON.stringify({ n }));
    await waitFor('the standby’s pull waiting beside 19 pending messages', async () => {
      const i = await info();
      return i.num_pending === OVERFLOW_THRESHOLD - 1 && i.num_waiting >= 1;
    });
    expect(overflowBy.standby.size).toBe(0);
    for (let n = OVERFLOW_THRESHOLD - 1; n < 50; n++) await js.publish('pausecluster.over', JSON.stringify({ n }));
    await waitFor('the standby to help with the backlog', () => overflowBy.standby.size > 0, { timeout: 30_000 });
    await boot(OverflowPrimaryModule, cluster!.urls[0]);
    await waitFor('all 50 handled', () => new Set([...overflowBy.primary, ...overflowBy.standby]).size === 50, { timeout: 30_000 });
    await waitFor('nothing left pending on the overflow consumer', async () => {
      const i = await info();
      return i.num_pending === 0 && i.num_ack_pending === 0;
    });
  }, 120_000);
});
