import 'reflect-metadata';
import { setTimeout as delay } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { NatsCluster, slowDown, waitFor } from '@nest-jetstream/testing';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import type { RecoveryEvent } from './leader-guard.js';

// The leader guard against a real 3-node cluster (R3 stream), the app's connection pinned to the
// first node: a node slowed by CPU contention never makes the connection move; a node left alone
// (the two others killed) makes readiness say the consumer waits for a leader, and handling
// resumes once the others are back (how: a pull re-issued or a reconnect, is the server's to decide); the consumer's leader
// stepping down on another node makes the puller pull again from the new one at once (consuming/leader-watch.ts). The
// partition itself, where the connection does move, and SIGKILLs of leaders are in the fault suite (test/faults).

/** `guard-<n>` (the default connection's stream) and `side-<n>` (the named connection's). */
const handled = new Set<string>();

@Controller()
class GuardEvents {
  @JetStreamEvent('guard.work', { concurrency: 4 })
  work(@Payload() data: { n: number }) {
    handled.add(`guard-${data.n}`);
  }

  @JetStreamEvent('side.work', { connection: 'side' })
  side(@Payload() data: { n: number }) {
    handled.add(`side-${data.n}`);
  }
}

@Module({ controllers: [GuardEvents] })
class GuardModule {}

describe('the leader guard on a 3-node cluster (real nats-servers)', () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  let app: INestMicroservice;
  let strategy: JetStreamServer;
  const recoveries: RecoveryEvent[] = [];
  const reconnects: string[] = [];
  let next = 0;

  /** Publishes `count` more messages (each until its PubAck: the stream may be electing a leader) and waits until all were handled. */
  const publishAndHandle = async (count: number, what: string, on: 'guard' | 'side' = 'guard') => {
    const from = next;
    const js = jetstream(nc, { timeout: 2_000 });
    for (let i = 0; i < count; i++) {
      const n = next++;
      await waitFor(`the PubAck of message ${n}`, () => js.publish(`${on}.work`, JSON.stringify({ n }), { msgID: `${on}-${n}` }).then(() => true), {
        timeout: 60_000,
        interval: 200,
      });
    }
    await waitFor(
      `${what}: messages ${from} to ${next - 1} handled`,
      () => Array.from({ length: next - from }, (_, i) => from + i).every((n) => handled.has(`${on}-${n}`)),
      {
        timeout: 60_000,
        interval: 50,
      },
    );
  };

  beforeAll(async () => {
    cluster = await NatsCluster.start();
    nc = await connect({ servers: cluster.urls, maxReconnectAttempts: -1 });
    strategy = new JetStreamServer({
      // Pinned to the first node (it learns the others from the cluster, as any client does).
      connection: { servers: [cluster.urls[0]], noRandomize: true },
      serviceName: 'guarded',
      streams: [
        { name: 'GUARDED', subjects: ['guard.>'], replicas: 3 },
        { name: 'GUARDED_SIDE', subjects: ['side.>'], replicas: 3, connection: 'side' },
      ],
      // A named connection, on the same node: its pullers watch elections through it.
      connections: { side: { connection: { servers: [cluster.urls[0]], noRandomize: true } } },
      health: { cacheTtl: 0, timeout: '1s' },
      shutdownTimeout: '5s',
    });
    strategy.on('recovery', (e) => recoveries.push(e));
    strategy.on('reconnect', (s) => reconnects.push(s));
    app = await NestFactory.createMicroservice(GuardModule, { strategy, logger: false });
    await app.listen();
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await nc?.close();
    await cluster?.stop();
  });

  it.each([
    ['the default connection', 'GUARDED', 'guard'],
    ['a named connection', 'GUARDED_SIDE', 'side'],
  ] as const)(
    "pulls again from the consumer's new leader after an election on another node, through %s, without waiting for missed heartbeats",
    async (_, stream, on) => {
      await publishAndHandle(20, 'before the election', on);
      const jsm = await jetstreamManager(nc);
      const durable = strategy.bindings.find((b) => b.stream === stream)!.durable;
      const leader = async () => (await jsm.consumers.info(stream, durable)).cluster?.leader;
      const stepDown = () => nc.request(`$JS.API.CONSUMER.LEADER.STEPDOWN.${stream}.${durable}`, undefined, { timeout: 5_000 });
      // The app's connections are on the first node: the leader that steps down must be another.
      const first = cluster.servers[0].serverName;
      for (let i = 0; i < 5 && (await leader()) === first; i++) {
        await stepDown();
        await waitFor('a leader other than the first node', async () => ((await leader()) ?? first) !== first, { timeout: 20_000, interval: 200 });
      }
      const repulls = () => recoveries.filter((e) => e.cause === 'leader_elected' && e.consumer === `${stream}/${durable}`).length;
      const before = repulls();
      expect(await leader()).not.toBe(first);
      await stepDown();
      // The old leader answers the waiting pull with 409 Leadership Change, after which the client waits for two missed heartbeats.
      await waitFor('a re-pull after the election', () => repulls() > before, { timeout: 30_000 });
      await publishAndHandle(20, 'after the election', on);
    },
    120_000,
  );

  it('never moves the connection off a server slowed by CPU contention', async () => {
    await publishAndHandle(50, 'before the contention');
    const onFirst = strategy.unwrap<NatsConnection>().getServer();
    const contention = await slowDown(cluster.servers[0].pid!, { hogs: 3 });
    try {
      // Bursts with idle gaps longer than two idle heartbeats: late heartbeats are when checks run.
      for (let burst = 0; burst < 4; burst++) {
        await publishAndHandle(50, `burst ${burst + 1} under contention`);
        // Deliberately idle (nothing to wait for): the pulls wait on the slowed server for heartbeats.
        await delay(2_500);
      }
    } finally {
      await contention.stop();
    }
    expect(recoveries.filter((e) => e.cause === 'connection_moved')).toEqual([]);
    expect(reconnects).toEqual([]);
    expect(strategy.unwrap<NatsConnection>().getServer()).toBe(onFirst);
  }, 120_000);

  const GUARDED_WAITS = /(^|; )GUARDED\/\S+ waits for a leader: /;
  it('says in readiness that the consumer waits for a leader while its node is alone, and pulls again once the cluster is back', async () => {
    const others = cluster.servers.slice(1);
    for (const s of others) await s.kill('SIGKILL');
    const down = await waitFor(
      'readiness naming the consumer that waits for a leader',
      async () => {
        const consumers = (await strategy.health.readiness()).checks.find((c) => c.name === 'jetstream.consumers');
        return consumers?.status === 'down' && GUARDED_WAITS.test(consumers.message ?? '') ? consumers : undefined;
      },
      { timeout: 60_000, interval: 250 },
    );
    // The named connection's consumer (GUARDED_SIDE) waits too: the message lists both, in either order.
    expect(down.message).toMatch(GUARDED_WAITS);
    for (const s of others) await s.restart();
    await cluster.waitForPeers();
    await publishAndHandle(50, 'after the cluster is back');
    await waitFor('readiness without a consumer waiting for a leader', async () => {
      const consumers = (await strategy.health.readiness()).checks.find((c) => c.name === 'jetstream.consumers');
      return !/waits for a leader/.test(consumers?.message ?? '');
    });
  }, 180_000);
});
