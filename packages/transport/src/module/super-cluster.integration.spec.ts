import 'reflect-metadata';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { SuperCluster, waitFor } from '@nest-jetstream/testing';
import { join } from 'node:path';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import type { StreamDeclaration } from '../interfaces/jetstream-options.interface.js';
import { JetStreamServer } from '../server/jetstream.server.js';

const dir = join(__dirname, '../../../../deploy/nats/topologies');
const env = { NATS_ADMIN_PASSWORD: 'admin-pw', NATS_SERVICE_PASSWORD: 'svc-pw', NATS_SYS_PASSWORD: 'sys-pw', NATS_GATEWAY_PASSWORD: 'gw-pw' };
const admin = { user: 'admin', pass: 'admin-pw' };

const handled = new Map<string, number>();

@Controller()
class PlacedController {
  // The consumer lives with its stream in cluster b; this service pulls from it through cluster a.
  // Messages the consumer sends to a pull waiting from a while the gateways are cut are lost on the
  // way and redelivered after ackWait: 5 s, not the default 30 s (docs/topologies.md).
  @JetStreamEvent('sc.b.>', { stream: 'SC_B', ackWait: '5s' })
  onB(@Payload() data: { id: string }) {
    handled.set(data.id, (handled.get(data.id) ?? 0) + 1);
  }
}
@Module({ controllers: [PlacedController] })
class PlacedModule {}

const streams: StreamDeclaration[] = [
  { name: 'SC_B', subjects: ['sc.b.>'], placement: { cluster: 'b' } },
  { name: 'SC_B_MIRROR', subjects: [], mirror: { name: 'SC_B' }, placement: { cluster: 'a' } },
  { name: 'SC_A', subjects: ['sc.a.>'], placement: { cluster: 'a' } },
];

// A service connected to cluster a of a super-cluster (deploy/nats/topologies, one node per
// cluster) owns a stream placed in cluster b and a mirror of it in a; a gateway partition while
// both sides publish loses nothing acknowledged, and the mirror and the service catch up.
describe('super-cluster: placement, a mirror and a gateway partition (real nats-servers)', () => {
  let sc: SuperCluster;
  let app: INestMicroservice | undefined;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const clients: JetStreamClient[] = [];

  beforeAll(async () => {
    sc = await SuperCluster.start({
      clusters: { a: [join(dir, 'cluster-a.conf')], b: [join(dir, 'cluster-b.conf')] },
      env,
      gatewayAuth: { user: 'gateway', password: 'gw-pw' },
    });
    nc = await connect({ servers: sc.cluster('a').urls, ...admin });
    // Under load the first JetStream API call after the meta group formed can time out: retry it.
    jsm = await waitFor('JetStream to answer through cluster a', () => jetstreamManager(nc).catch(() => undefined), { timeout: 30_000 });
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all(clients.map((c) => c.close()));
    await nc?.close();
    await sc?.stop();
  });

  const clientOf = (cluster: string) => {
    const c = new JetStreamClient({ connection: { servers: sc.cluster(cluster).urls, ...admin }, provisioning: 'off' });
    clients.push(c);
    return c;
  };

  it('places the stream in b from a service connected to a, and handles from a what is published from a', async () => {
    const strategy = new JetStreamServer({ connection: { servers: sc.cluster('a').urls, ...admin }, serviceName: 'placed', streams, shutdownTimeout: '5s' });
    app = await NestFactory.createMicroservice(PlacedModule, { strategy, logger: false });
    await app.listen();
    expect((await jsm.streams.info('SC_B')).cluster?.name).toBe('b');
    expect((await jsm.streams.info('SC_B_MIRROR')).cluster?.name).toBe('a');
    // The publisher retries the no-responders answer while interest crosses the gateway.
    await clientOf('a').publish('sc.b.order', { id: 'first' }, { msgId: 'first' });
    await waitFor('the service on a to handle the message in b', () => handled.get('first') === 1, { timeout: 30_000 });
  });

  it('a gateway cut while both sides publish: nothing acknowledged is lost, the mirror and the service catch up after the heal', async () => {
    const [onA, onB] = [clients[0], clientOf('b')];
    await onB.connect();
    sc.cutGateways();
    const n = 20;
    for (let i = 0; i < n; i++) {
      await onA.publish('sc.a.order', { id: `a-${i}` }, { msgId: `a-${i}` });
      await onB.publish('sc.b.order', { id: `b-${i}` }, { msgId: `b-${i}` });
    }
    // Every publish above was acknowledged by its own side's stream, each in its own cluster.
    expect((await jsm.streams.info('SC_A')).state.messages).toBe(n);
    sc.healGateways();
    await sc.waitForGateways();
    await waitFor('SC_B to hold the first message and the 20 from b', async () => (await jsm.streams.info('SC_B')).state.messages === n + 1, {
      timeout: 30_000,
    });
    await waitFor('the mirror in a to catch up', async () => (await jsm.streams.info('SC_B_MIRROR')).state.messages === n + 1, { timeout: 60_000 });
    await waitFor('the service on a to handle all 20 from b', () => Array.from({ length: n }, (_, i) => `b-${i}`).every((id) => handled.has(id)), {
      timeout: 60_000,
    });
    expect([...handled.values()].every((c) => c === 1)).toBe(true);
  });
});
