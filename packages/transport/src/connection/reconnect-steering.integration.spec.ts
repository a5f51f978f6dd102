import type { NatsConnection } from '@nats-io/nats-core';
import { NatsCluster, waitFor } from '@nest-jetstream/testing';
import { openConnection } from './open-connection.js';
import { avoidOnReconnect } from './reconnect-steering.js';

// The leader guard's move against real nats-servers: a connection opened on the first node of a
// cluster (noRandomize) and told to avoid it reconnects to another node, which answers. (Left
// alone, the client landed back on the node it left in the fault suite's partition, where that
// node had lost its routes; this healthy cluster does not reproduce that, so the spec asserts
// where a steered move goes, not the client's own choice.)

describe('a move steered off the server it leaves (real nats-servers)', () => {
  let cluster: NatsCluster;
  let nc: NatsConnection | undefined;

  beforeAll(async () => {
    cluster = await NatsCluster.start({ size: 2 });
  });

  afterAll(async () => {
    await nc?.close();
    await cluster?.stop();
  });

  it('reconnects to another node of the pool, which then answers', async () => {
    ({ nc } = await openConnection({ servers: cluster.urls, noRandomize: true }, 'steering spec'));
    const left = nc.getServer();
    expect(cluster.urls[0]).toContain(left);
    const reconnected = (async () => {
      for await (const s of nc!.status()) if (s.type === 'reconnect') return s.server;
      return undefined;
    })();
    avoidOnReconnect(nc, left);
    await nc.reconnect();
    await reconnected;
    await waitFor('the connection on another node', () => !nc!.isClosed() && nc!.getServer() !== '' && nc!.getServer() !== left, {
      timeout: 20_000,
      interval: 50,
    });
    await expect(nc.rtt()).resolves.toBeGreaterThanOrEqual(0);
  });
});
