// Both example services as real processes against a 3-node cluster started from the
// docker-compose NATS config files, as compose runs them: a provisioning run of each as admin,
// then each service as its own least-privilege identity (deploy/nats/accounts.conf) in verify mode.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { NatsCluster, waitFor } from '@nest-jetstream/testing';
import { JetStreamClient, JetStreamPermissionError, readDeadLetter } from '@nest-jetstream/transport';
import { PASSWORD_ENV, type ServiceUser } from '../examples/demo/identities';
import { ServiceProcess, http, type OrderView } from '../examples/demo/service-process';

const CONFIGS = ['nats-1.conf', 'nats-2.conf', 'nats-3.conf'].map((f) => join(__dirname, '..', 'deploy', 'nats', f));

// A test that restarts a service (up to 60 s to start while it compiles its TypeScript on a loaded
// machine) and waits for every order to be final (up to 90 or 120 s): a deadline above its parts.
const SLOW_TEST_MS = 240_000;

describe('orders and inventory services on a 3-node cluster (real processes, real nats-servers)', () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let orders: ServiceProcess;
  let inventory: ServiceProcess;
  const dir = mkdtempSync(join(tmpdir(), 'examples-e2e-'));

  // The passwords accounts.conf reads from nats-server's environment, new for each run.
  const passwords = Object.fromEntries(Object.values(PASSWORD_ENV).map((name) => [name, randomBytes(12).toString('hex')]));
  const password = (user: keyof typeof PASSWORD_ENV) => passwords[PASSWORD_ENV[user]];
  const env = () => ({ NATS_SERVERS: cluster.urls.join(','), NATS_REPLICAS: '3', HTTP_PORT: '0' });
  const as = (user: ServiceUser) => ({ ...env(), NATS_USER: user, NATS_PASS: password(user), NATS_PROVISIONING: 'verify' });
  const startInventory = () => new ServiceProcess('inventory-service', { ...as('inventory-service'), DB_PATH: join(dir, 'inventory.sqlite') }).start(60_000);

  beforeAll(async () => {
    cluster = await NatsCluster.start({ configFiles: CONFIGS, env: passwords });
    nc = await connect({ servers: cluster.urls, user: 'admin', pass: password('admin') });
    jsm = await jetstreamManager(nc);
    const admin = { ...env(), NATS_USER: 'admin', NATS_PASS: password('admin'), NATS_PROVISIONING: 'create-or-update' };
    await new ServiceProcess('inventory-service', { ...admin, DB_PATH: join(dir, 'provision-inventory.sqlite') }).provision();
    await new ServiceProcess('orders-service', { ...admin, DB_PATH: join(dir, 'provision-orders.sqlite') }).provision();
    inventory = await startInventory();
    orders = await new ServiceProcess('orders-service', { ...as('orders-service'), DB_PATH: join(dir, 'orders.sqlite') }).start(60_000);
    // A cluster, two provisioning runs and two services compiling their TypeScript at start: each has its own bound.
  }, 300_000);
  afterAll(async () => {
    await orders?.stop();
    await inventory?.stop();
    await nc?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** POSTs like a careful client: a 503 (inventory or NATS briefly away) is retried with the same id. */
  const place = async (id: string, sku: string, qty: number) => {
    let last = '';
    const order = await waitFor(
      `POST /orders ${id} to be accepted`,
      async () => {
        const res = await http<OrderView>('POST', `${orders.url}/orders`, { id, sku, qty });
        last = `${res.status} ${JSON.stringify(res.body)}`;
        if (res.status === 503) return undefined;
        if (res.status >= 300) throw new Error(`POST ${id}: ${last}`);
        return res.body;
      },
      { timeout: 60_000, interval: 200 },
    ).catch((err: Error) => {
      throw new Error(`${err.message} (last answer ${last})`, { cause: err.cause });
    });
    return order;
  };
  const finalOf = async (ids: string[], timeout = 60_000) => {
    const done = new Map<string, OrderView>();
    await waitFor(
      `orders ${ids.length} to reach a final status`,
      async () => {
        for (const id of ids.filter((i) => !done.has(i))) {
          const o = (await http<OrderView>('GET', `${orders.url}/orders/${id}`)).body;
          if (o.status !== 'pending') done.set(id, o);
        }
        return done.size === ids.length;
      },
      { timeout, interval: 250 },
    );
    return done;
  };
  const reservations = async () => (await http<{ orderId: string; qty: number }[]>('GET', `${inventory.url}/reservations`)).body;
  /** orders.created events stored; retried while a leader election makes the API slow. */
  const createdCount = async () => {
    const { n } = await waitFor(
      'ORDERS stream info',
      async () => ({ n: (await jsm.streams.info('ORDERS', { subjects_filter: 'orders.created' })).state.subjects?.['orders.created'] ?? 0 }),
      { timeout: 30_000 },
    );
    return n;
  };
  const placeMany = async (prefix: string, n: number, parallel = 10) => {
    const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    let next = 0;
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < ids.length) await place(ids[next++], 'SKU-1', 1);
      }),
    );
    return ids;
  };
  const expectReservedOnce = async (ids: string[]) => {
    const rs = await reservations();
    for (const id of ids) expect(rs.filter((r) => r.orderId === id)).toHaveLength(1);
  };

  it('serves liveness, readiness with every JetStream signal, and Prometheus metrics', async () => {
    for (const svc of [orders, inventory]) {
      expect((await http<{ status: string }>('GET', `${svc.url}/health/live`)).status).toBe(200);
      const ready = await waitFor(
        `${svc.name} ready`,
        async () => {
          const r = await http<{ status: string; details: { jetstream: { checks: Record<string, { status: string }> } } }>('GET', `${svc.url}/health/ready`);
          return r.status === 200 ? r : undefined;
        },
        { timeout: 30_000 },
      );
      expect(ready.body.status).toBe('ok');
      expect(
        Object.entries(ready.body.details.jetstream.checks)
          .map(([name, c]) => `${name} ${c.status}`)
          .sort(),
      ).toEqual([
        'jetstream.consumers up',
        'jetstream.dead-letters up',
        'jetstream.leaders up',
        'jetstream.storage up',
        'nats.connection up',
        'nats.monitoring not_configured',
      ]);
    }
    await place('e2e-metrics', 'SKU-1', 1);
    await finalOf(['e2e-metrics']);
    const res = await fetch(`${orders.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(
      /nest_jetstream_messages_settled_total\{stream="INVENTORY",consumer="orders__inventory_reserved",connection="default",outcome="ack"\} [1-9]/,
    );
    expect(text).toMatch(/nest_jetstream_publish_duration_seconds_count\{stream="ORDERS",connection="default"\} [1-9]/);
    expect(text).toContain('nest_jetstream_connected{role="server",connection="default"} 1');
  });

  it("runs each service with nothing more than its identity allows: another service's subject and a new stream are refused", async () => {
    const client = new JetStreamClient({ connection: { servers: cluster.urls, user: 'orders-service', pass: password('orders-service') } });
    const ncOrders = await connect({ servers: cluster.urls, user: 'orders-service', pass: password('orders-service') });
    try {
      const refused = await client.publish('inventory.reserved', { orderId: 'forged', sku: 'SKU-1', qty: 1 }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(JetStreamPermissionError);
      expect((refused as Error).message).toContain('inventory.reserved');
      const jsmOrders = await jetstreamManager(ncOrders, { timeout: 3_000 });
      await expect(jsmOrders.streams.add({ name: 'FORGED', subjects: ['forged.>'] })).rejects.toThrow(/permission|timeout/i);
      await expect(jsm.streams.info('FORGED')).rejects.toThrow(/not found/i);
    } finally {
      await client.close();
      await ncOrders.close();
    }
  });

  it('stores deliveries in bulk with a batch handler: all acked, a malformed one dead-lettered on its own', async () => {
    const js = jsm.jetstream();
    for (let i = 0; i < 20; i++) await js.publish('inventory.stock.received', JSON.stringify({ sku: 'SKU-BULK', qty: 2 }));
    await js.publish('inventory.stock.received', JSON.stringify({ sku: 'SKU-BULK', qty: -1 }));
    const letters = 'deadletter.inventory.stock.received';
    await waitFor(
      'the malformed delivery dead-lettered',
      async () => (await jsm.streams.info('DEAD_LETTERS', { subjects_filter: letters })).state.subjects?.[letters] === 1,
      {
        timeout: 60_000,
      },
    );
    await waitFor(
      'every delivery settled',
      async () => {
        const info = await jsm.consumers.info('INVENTORY', 'inventory__inventory_stock_received');
        return info.num_pending === 0 && info.num_ack_pending === 0 && info.num_redelivered === 0;
      },
      { timeout: 60_000 },
    );
  });

  it('declares the streams with 3 replicas', async () => {
    for (const name of ['ORDERS', 'INVENTORY', 'DEAD_LETTERS']) expect((await jsm.streams.info(name)).config.num_replicas).toBe(3);
  });

  it('takes orders over HTTP to their final state: reserved, or rejected for stock', async () => {
    await place('e2e-ok', 'SKU-1', 3);
    await place('e2e-low', 'SKU-LOW', 50);
    const done = await finalOf(['e2e-ok', 'e2e-low']);
    expect(done.get('e2e-ok')?.status).toBe('confirmed');
    expect(done.get('e2e-low')).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/out of stock/) });
  });

  it('makes one event and one reservation of an order posted twice', async () => {
    const before = await createdCount();
    await place('e2e-twice', 'SKU-2', 1);
    await place('e2e-twice', 'SKU-2', 1);
    expect((await finalOf(['e2e-twice'])).get('e2e-twice')?.status).toBe('confirmed');
    expect(await createdCount()).toBe(before + 1);
    await expectReservedOnce(['e2e-twice']);
  });

  it('puts the poison order in the dead-letter stream with its reason', async () => {
    await place('e2e-poison', 'SKU-POISON', 1);
    const done = await finalOf(['e2e-poison']);
    expect(done.get('e2e-poison')).toMatchObject({ status: 'failed', reason: expect.stringMatching(/warehouse system crashed/) });
    const info = await jsm.streams.info('DEAD_LETTERS');
    const letters = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) letters.push(await jsm.streams.getMessage('DEAD_LETTERS', { seq }));
    const mine = letters.filter((m) => m?.json<{ id: string }>().id === 'e2e-poison');
    expect(mine).toHaveLength(1);
    expect(readDeadLetter(mine[0]!.header)).toMatchObject({
      subject: 'orders.created',
      stream: 'ORDERS',
      deliveries: 3,
      reason: expect.stringMatching(/last attempt \(3\/3\)/),
    });
  });

  it(
    'loses nothing when inventory is killed mid-flow and restarted: every order final, reserved once',
    async () => {
      const placing = placeMany('e2e-restart', 40);
      await waitFor('some orders of the batch confirmed', async () => (await reservations()).some((r) => r.orderId.startsWith('e2e-restart')), {
        timeout: 30_000,
      });
      await inventory.kill();
      inventory = await startInventory();
      const ids = await placing;
      const done = await finalOf(ids);
      expect([...done.values()].every((o) => o.status === 'confirmed')).toBe(true);
      await expectReservedOnce(ids);
    },
    SLOW_TEST_MS,
  );

  it(
    'loses nothing when the ORDERS stream leader is killed mid-flow',
    async () => {
      const placing = placeMany('e2e-leader', 40);
      const leader = await cluster.streamLeader('ORDERS', 'APP');
      await leader.kill('SIGKILL');
      try {
        const ids = await placing;
        const done = await finalOf(ids, 90_000);
        expect([...done.values()].every((o) => o.status === 'confirmed')).toBe(true);
        await expectReservedOnce(ids);
      } finally {
        await leader.restart();
        await cluster.waitForPeers();
      }
    },
    SLOW_TEST_MS,
  );

  it(
    'stops gracefully on SIGTERM during a burst: exit code 0, nothing left pending',
    async () => {
      const placing = placeMany('e2e-sigterm', 60);
      await waitFor('some orders of the burst reserved', async () => (await reservations()).some((r) => r.orderId.startsWith('e2e-sigterm')), {
        timeout: 30_000,
      });
      const stopped = await inventory.stop();
      inventory = await startInventory();
      const ids = await placing;
      expect(stopped).toMatchObject({ graceful: true });
      expect(stopped.code === 0 || stopped.signal === 'SIGTERM').toBe(true);
      const done = await finalOf(ids);
      expect([...done.values()].every((o) => o.status === 'confirmed')).toBe(true);
      await expectReservedOnce(ids);
    },
    SLOW_TEST_MS,
  );

  it(
    'takes a burst of 300 orders to their final state, none lost',
    async () => {
      const before = await createdCount();
      const ids = await placeMany('e2e-burst', 300, 30);
      const done = await finalOf(ids, 120_000);
      expect(done.size).toBe(300);
      expect([...done.values()].every((o) => o.status === 'confirmed')).toBe(true);
      expect(await createdCount()).toBe(before + 300);
      await expectReservedOnce(ids);
    },
    SLOW_TEST_MS,
  );
});
