import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { join } from 'node:path';
import { NatsCluster } from './nats-cluster.js';

describe('NatsCluster (3 real nats-servers)', () => {
  let cluster: NatsCluster;
  beforeAll(async () => {
    cluster = await NatsCluster.start();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('forms a 3-node cluster with a meta leader', async () => {
    expect(cluster.servers).toHaveLength(3);
    const leader = await cluster.waitForMetaLeader();
    expect(cluster.servers).toContain(leader);
  });

  it('survives the loss of an R3 stream leader and catches the node up after restart', async () => {
    const nc = await connect({ servers: cluster.urls });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'HA', subjects: ['ha.>'], num_replicas: 3 });
      const js = jetstream(nc);
      for (let i = 0; i < 10; i++) await js.publish('ha.x', `m${i}`, { msgID: `id-${i}` });

      const leader = await cluster.streamLeader('HA');
      await leader.kill('SIGKILL');
      const next = await cluster.streamLeader('HA');
      expect(next).not.toBe(leader);

      // A publisher with a retry budget rides out the election; the old msgID is still deduplicated.
      const ack = await js.publish('ha.x', 'm0', { msgID: 'id-0', retries: 60, timeout: 1000 });
      expect(ack.duplicate).toBe(true);
      await js.publish('ha.x', 'm10', { msgID: 'id-10', retries: 60, timeout: 1000 });

      await leader.restart();
      await cluster.waitForPeers();
      const info = await jsm.streams.info('HA');
      expect(info.state.messages).toBe(11);
      expect(info.cluster?.replicas?.length).toBe(2);
    } finally {
      await nc.close();
    }
  });
});

describe('NatsCluster from the docker-compose config files (deploy/nats/*.conf)', () => {
  let cluster: NatsCluster;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('forms the same 3-node JetStream cluster compose runs, on loopback', async () => {
    const dir = join(__dirname, '../../../deploy/nats');
    // Their accounts.conf (an include, found next to them) reads the passwords from the environment.
    const env = { NATS_ADMIN_PASSWORD: 'a-secret', NATS_SYS_PASSWORD: 's', NATS_ORDERS_PASSWORD: 'o', NATS_INVENTORY_PASSWORD: 'i' };
    cluster = await NatsCluster.start({ configFiles: ['nats-1.conf', 'nats-2.conf', 'nats-3.conf'].map((f) => join(dir, f)), env });
    expect(cluster.servers.map((s) => s.serverName)).toEqual(['nats-1', 'nats-2', 'nats-3']);
    await expect(connect({ servers: cluster.urls[0], maxReconnectAttempts: 0 })).rejects.toThrow(/Authorization/i);
    const nc = await connect({ servers: cluster.urls, user: 'admin', pass: 'a-secret' });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'COMPOSE', subjects: ['compose.>'], num_replicas: 3 });
      const ack = await jetstream(nc).publish('compose.x', 'hello');
      expect(ack.stream).toBe('COMPOSE');
      expect((await jsm.streams.info('COMPOSE')).cluster?.replicas).toHaveLength(2);
      // The file's own settings are in force.
      expect(nc.info?.max_payload).toBe(1024 * 1024);
    } finally {
      await nc.close();
    }
  });
});
