import 'reflect-metadata';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { HubAndLeaf, waitFor } from '@nest-jetstream/testing';
import { join } from 'node:path';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamServer } from '../server/jetstream.server.js';

const dir = join(__dirname, '../../../../deploy/nats/topologies');
const env = { NATS_ADMIN_PASSWORD: 'admin-pw', NATS_SERVICE_PASSWORD: 'svc-pw', NATS_SYS_PASSWORD: 'sys-pw', NATS_LEAF_PASSWORD: 'leaf-pw' };
const admin = { user: 'admin', pass: 'admin-pw' };

const handled = new Map<string, number>();

@Controller()
class CollectorController {
  // Reads the hub's stream that sources the leaf's EDGE stream across domains.
  @JetStreamEvent('edge.>', { stream: 'FROM_EDGE' })
  collect(@Payload() data: { id: string }) {
    handled.set(data.id, (handled.get(data.id) ?? 0) + 1);
  }
}
@Module({ controllers: [CollectorController] })
class CollectorModule {}

// The edge: a service on the leaf node (JetStream domain "leaf") keeps publishing while the leaf
// link is down; the hub's stream sources from the leaf's domain and a hub service handles each
// message once after the link returns. deploy/nats/topologies/hub.conf and leaf.conf.
describe('JetStream domains: a hub and a leaf node (real nats-servers)', () => {
  let topo: HubAndLeaf;
  let collector: INestMicroservice | undefined;
  const clients: JetStreamClient[] = [];

  beforeAll(async () => {
    topo = await HubAndLeaf.start({
      hubConfigFile: join(dir, 'hub.conf'),
      leafConfigFile: join(dir, 'leaf.conf'),
      env,
      leafAuth: { user: 'leaf', password: 'leaf-pw' },
    });
  });
  afterAll(async () => {
    await collector?.close();
    await Promise.all(clients.map((c) => c.close()));
    await topo?.stop();
  });

  const client = (servers: string, options: Partial<ConstructorParameters<typeof JetStreamClient>[0]>) => {
    const c = new JetStreamClient({ connection: { servers, ...admin }, ...options });
    clients.push(c);
    return c;
  };

  it("provisions and checks the leaf's stream through its domain, from the leaf and from the hub", async () => {
    await client(topo.leaf.url, { domain: 'leaf', streams: [{ name: 'EDGE', subjects: ['edge.>'] }] }).connect();
    // From the hub, the domain routes the API calls to the leaf's JetStream: verify finds EDGE there.
    await client(topo.hub.url, { domain: 'leaf', provisioning: 'verify', streams: [{ name: 'EDGE', subjects: ['edge.>'] }] }).connect();
    const hubNc = await connect({ servers: topo.hub.url, ...admin });
    try {
      await expect((await jetstreamManager(hubNc)).streams.info('EDGE')).rejects.toThrow(/not found/);
    } finally {
      await hubNc.close();
    }
    // A domain nobody serves is a boot error naming it.
    await expect(client(topo.hub.url, { domain: 'nowhere' }).connect()).rejects.toThrow(/JetStream domain "nowhere" does not answer/);
  });

  it('the leaf accepts while its link is down; the hub service handles every message once after it returns', async () => {
    const hubStrategy = new JetStreamServer({
      connection: { servers: topo.hub.url, ...admin },
      serviceName: 'collector',
      streams: [{ name: 'FROM_EDGE', subjects: [], sources: [{ name: 'EDGE', domain: 'leaf' }] }],
      shutdownTimeout: '5s',
    });
    collector = await NestFactory.createMicroservice(CollectorModule, { strategy: hubStrategy, logger: false });
    await collector.listen();
    const edge = clients[0];
    await edge.publish('edge.reading', { id: 'before' });
    await waitFor('the hub service to handle the first reading', () => handled.get('before') === 1, { timeout: 30_000 });

    topo.cutLeafLink();
    const ids = Array.from({ length: 20 }, (_, i) => `during-${i}`);
    for (const id of ids) await edge.publish('edge.reading', { id }, { msgId: id });
    topo.healLeafLink();
    await topo.waitForLeafLink();
    await waitFor('the hub service to handle all 20 readings published during the outage', () => ids.every((id) => handled.has(id)), { timeout: 60_000 });
    expect([...handled.values()].every((n) => n === 1)).toBe(true);
    expect(handled.size).toBe(21);
  });
});
