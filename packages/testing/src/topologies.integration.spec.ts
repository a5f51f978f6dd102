import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { join } from 'node:path';
import { HubAndLeaf } from './hub-and-leaf.js';
import { SuperCluster } from './super-cluster.js';
import { waitFor } from './wait-for.js';

const dir = join(__dirname, '../../../deploy/nats/topologies');
// accounts.conf and the gateway and leafnode blocks read their passwords from the environment.
const env = {
  NATS_ADMIN_PASSWORD: 'admin-pw',
  NATS_SERVICE_PASSWORD: 'svc-pw',
  NATS_SYS_PASSWORD: 'sys-pw',
  NATS_GATEWAY_PASSWORD: 'gw-pw',
  NATS_LEAF_PASSWORD: 'leaf-pw',
};
const admin = { user: 'admin', pass: 'admin-pw' };

describe('SuperCluster from deploy/nats/topologies (two one-node clusters joined by gateways)', () => {
  let sc: SuperCluster;
  let nc: NatsConnection;
  beforeAll(async () => {
    sc = await SuperCluster.start({
      clusters: { a: [join(dir, 'cluster-a.conf')], b: [join(dir, 'cluster-b.conf')] },
      env,
      gatewayAuth: { user: 'gateway', password: 'gw-pw' },
    });
    nc = await connect({ servers: sc.cluster('a').urls, ...admin });
  });
  afterAll(async () => {
    await nc?.close();
    await sc?.stop();
  });

  it("places a stream in the other cluster through a connection to this one, and the files' settings hold", async () => {
    expect(sc.servers.map((s) => s.serverName)).toEqual(['nats-a-1', 'nats-b-1']);
    // Under load the first JetStream API calls after the meta group formed can time out (a request
    // of 5 s): retried (adding the same stream again is idempotent).
    const jsm = await waitFor('JetStream to answer through cluster a', () => jetstreamManager(nc).catch(() => undefined), { timeout: 30_000 });
    const info = await waitFor(
      'stream IN_B placed in cluster b',
      () => jsm.streams.add({ name: 'IN_B', subjects: ['in-b.>'], placement: { cluster: 'b', tags: [] } }).catch(() => undefined),
      { timeout: 30_000 },
    );
    expect(info.cluster?.name).toBe('b');
    // Interest in the new stream's subjects crosses the gateway a moment after its creation: until
    // then a publish from cluster a gets no responders.
    const ack = await waitFor('a publish from cluster a to reach the stream in b', () =>
      jetstream(nc)
        .publish('in-b.x', 'hello')
        .catch(() => undefined),
    );
    expect(ack.stream).toBe('IN_B');
    expect(nc.info?.max_payload).toBe(1024 * 1024);
  });

  it('cuts the gateways: the other cluster is out of reach, this one still works; heal restores both', async () => {
    const jsm = await waitFor('JetStream to answer through cluster a', () => jetstreamManager(nc).catch(() => undefined), { timeout: 30_000 });
    await waitFor(
      'stream IN_A placed in cluster a',
      () => jsm.streams.add({ name: 'IN_A', subjects: ['in-a.>'], placement: { cluster: 'a', tags: [] } }).catch(() => undefined),
      { timeout: 30_000 },
    );
    const js = jetstream(nc);
    sc.cutGateways();
    await waitFor('the publish to cluster b to fail while the gateways are cut', () =>
      js.publish('in-b.x', 'cut', { timeout: 500 }).then(
        () => false,
        () => true,
      ),
    );
    expect((await js.publish('in-a.x', 'local')).stream).toBe('IN_A');
    sc.healGateways();
    await sc.waitForGateways();
    const ack = await waitFor('a publish to cluster b after the heal', () => js.publish('in-b.x', 'healed', { timeout: 1000 }).catch(() => undefined), {
      timeout: 30_000,
    });
    expect(ack.stream).toBe('IN_B');
  });

  it("kills and restarts cluster b's node: the gateways form again and the stream placed there keeps its messages", async () => {
    const jsm = await waitFor('JetStream to answer through cluster a', () => jetstreamManager(nc).catch(() => undefined), { timeout: 30_000 });
    const before = (await jsm.streams.info('IN_B')).state.messages;
    expect(before).toBeGreaterThan(0);
    await sc.server('nats-b-1').kill();
    await sc.server('nats-b-1').restart();
    await sc.waitForGateways();
    const info = await waitFor('IN_B to answer again', () => jsm.streams.info('IN_B').catch(() => undefined), { timeout: 30_000 });
    expect(info.state.messages).toBe(before);
    const ack = await waitFor(
      'a publish to cluster b after the restart',
      () =>
        jetstream(nc)
          .publish('in-b.x', 'restarted', { timeout: 1000 })
          .catch(() => undefined),
      {
        timeout: 30_000,
      },
    );
    expect(ack).toMatchObject({ stream: 'IN_B', seq: before + 1 });
  });
});

describe('HubAndLeaf from deploy/nats/topologies (JetStream domains hub and leaf)', () => {
  let topo: HubAndLeaf;
  beforeAll(async () => {
    topo = await HubAndLeaf.start({
      hubConfigFile: join(dir, 'hub.conf'),
      leafConfigFile: join(dir, 'leaf.conf'),
      env,
      leafAuth: { user: 'leaf', password: 'leaf-pw' },
    });
  });
  afterAll(async () => {
    await topo?.stop();
  });

  it('the leaf keeps accepting while its link is cut; the hub, sourcing across domains, gets every message after the heal', async () => {
    const leafNc = await connect({ servers: topo.leaf.url, ...admin });
    const hubNc = await connect({ servers: topo.hub.url, ...admin });
    try {
      await (await jetstreamManager(leafNc)).streams.add({ name: 'EDGE', subjects: ['edge.>'] });
      const hubJsm = await jetstreamManager(hubNc);
      // The hub's JetStream reaches the leaf's through the leaf's domain.
      expect((await (await jetstreamManager(hubNc, { domain: 'leaf' })).streams.info('EDGE')).config.name).toBe('EDGE');
      await hubJsm.streams.add({ name: 'FROM_EDGE', sources: [{ name: 'EDGE', external: { api: '$JS.leaf.API', deliver: '' } }] });
      const leafJs = jetstream(leafNc);
      await leafJs.publish('edge.x', 'before');
      await waitFor('the hub to source the first message', async () => (await hubJsm.streams.info('FROM_EDGE')).state.messages === 1, { timeout: 30_000 });
      topo.cutLeafLink();
      for (let i = 0; i < 5; i++) await leafJs.publish('edge.x', `during-${i}`);
      topo.healLeafLink();
      await topo.waitForLeafLink();
      await waitFor('the hub to source all 6 messages', async () => (await hubJsm.streams.info('FROM_EDGE')).state.messages === 6, { timeout: 30_000 }).catch(
        async (err: Error) => {
          throw new Error(
            `${err.message}: ${JSON.stringify((await hubJsm.streams.info('FROM_EDGE')).sources)} ${topo.hub.logTail(10)} ${topo.leaf.logTail(10)}`,
          );
        },
      );
    } finally {
      await leafNc.close();
      await hubNc.close();
    }
  });
});
