// The orders service's transactional outbox as real processes against a real nats-server: the
// process is killed (SIGKILL) right after an order's transaction commits, before anything is
// published; started again, its relay publishes the order's event, once, and inventory reserves
// the stock once. A client retrying the POST after the crash adds no second event.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { NatsServer, waitFor } from '@nest-jetstream/testing';
import { ServiceProcess, http, type OrderView } from '../examples/demo/service-process';

// Two services compiling their TypeScript at start on a loaded machine: each start has its own bound.
const START_MS = 120_000;

describe('orders service outbox: killed between the commit and the publish (real processes)', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let inventory: ServiceProcess;
  let orders: ServiceProcess;
  const dir = mkdtempSync(join(tmpdir(), 'examples-outbox-e2e-'));
  const ordersDb = join(dir, 'orders.sqlite');
  const env = () => ({ NATS_SERVERS: server.url, HTTP_PORT: '0' });
  const startOrders = (extra: Record<string, string> = {}) => new ServiceProcess('orders-service', { ...env(), DB_PATH: ordersDb, ...extra }).start(START_MS);

  beforeAll(async () => {
    server = await NatsServer.start();
    nc = await connect({ servers: server.url });
    jsm = await jetstreamManager(nc);
    inventory = await new ServiceProcess('inventory-service', { ...env(), DB_PATH: join(dir, 'inventory.sqlite') }).start(START_MS);
  }, START_MS + 30_000);
  afterAll(async () => {
    await orders?.stop();
    await inventory?.stop();
    await nc?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The `orders.created` events in the stream about this order. */
  const eventsOf = async (orderId: string) => {
    const info = await jsm.streams.info('ORDERS');
    const found: { seq: number; msgId?: string }[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage('ORDERS', { seq }).catch(() => null);
      if (m?.subject === 'orders.created' && m.json<{ id: string }>().id === orderId) found.push({ seq, msgId: m.header.get('Nats-Msg-Id') });
    }
    return found;
  };
  const outboxRows = (orderId: string) => {
    const db = new Database(ordersDb, { readonly: true });
    try {
      return db.prepare('SELECT id, sent_at AS sentAt FROM jetstream_outbox WHERE data LIKE ?').all(`%"${orderId}"%`) as { id: string; sentAt: unknown }[];
    } finally {
      db.close();
    }
  };

  it(
    'publishes the committed event once after a restart; inventory reserves once; a retried POST adds nothing',
    async () => {
      const id = 'outbox-crash-1';
      orders = await startOrders({ ORDERS_KILL_AFTER_COMMIT: id });
      // The POST's connection dies with the process: the answer is an error, not a response.
      await expect(http('POST', `${orders.url}/orders`, { id, sku: 'SKU-1', qty: 2 })).rejects.toThrow();
      await waitFor('the orders process to be dead', () => orders.pid === undefined, { timeout: 10_000 });

      // Committed (order and outbox row), nothing published.
      const [row] = outboxRows(id);
      expect(row).toBeDefined();
      expect(row.sentAt).toBeNull();
      expect(await eventsOf(id)).toEqual([]);

      orders = await startOrders();
      const confirmed = await waitFor(
        `order ${id} to be confirmed`,
        async () => {
          const o = (await http<OrderView>('GET', `${orders.url}/orders/${id}`)).body;
          return o.status === 'confirmed' ? o : undefined;
        },
        { timeout: 60_000, interval: 200 },
      );
      expect(confirmed).toMatchObject({ id, sku: 'SKU-1', qty: 2 });

      // The careful client retries its POST: the order is there, no second event.
      const retried = await http<OrderView>('POST', `${orders.url}/orders`, { id, sku: 'SKU-1', qty: 2 });
      expect(retried.status).toBe(202);
      expect(retried.body.status).toBe('confirmed');

      // The stream holds one event, with the outbox row's id as msgId; the row is marked sent.
      await waitFor(`outbox row of ${id} to be marked sent`, () => outboxRows(id)[0]?.sentAt != null, { timeout: 30_000 });
      const rows = outboxRows(id);
      expect(rows).toHaveLength(1);
      expect(await eventsOf(id)).toEqual([{ seq: expect.any(Number), msgId: rows[0].id }]);
      // The consumer side: inventory reserved the stock for it once.
      const reservations = (await http<{ orderId: string; qty: number }[]>('GET', `${inventory.url}/reservations`)).body;
      expect(reservations.filter((r) => r.orderId === id)).toEqual([expect.objectContaining({ orderId: id, qty: 2 })]);
      // The relay's metrics: the event published by this process, nothing pending.
      const metrics = await (await fetch(`${orders.url}/metrics`)).text();
      expect(metrics).toContain('nest_jetstream_outbox_published_total{table="jetstream_outbox"} 1');
      expect(metrics).toContain('nest_jetstream_outbox_pending_events{table="jetstream_outbox"} 0');
    },
    2 * START_MS + 120_000,
  );
});
