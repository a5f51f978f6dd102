// npm run demo: a nats-server from the launcher, both services, a handful of orders, a table of
// what happened to each. `npm run demo -- --keep` leaves everything running for curl.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsServer, waitFor } from '@nest-jetstream/testing';
import { readDeadLetter } from '@nest-jetstream/transport';
import { ServiceProcess, http, type OrderView } from './service-process';

const SCENARIO = [
  { id: 'demo-ok', sku: 'SKU-1', qty: 2, expect: 'confirmed', what: 'in stock: reserved' },
  { id: 'demo-low', sku: 'SKU-LOW', qty: 5, expect: 'rejected', what: 'not enough stock' },
  { id: 'demo-poison', sku: 'SKU-POISON', qty: 1, expect: 'failed', what: 'handler fails every attempt' },
  { id: 'demo-twice', sku: 'SKU-2', qty: 1, expect: 'confirmed', what: 'POSTed twice, same id', posts: 2 },
];

async function main(): Promise<number> {
  const keep = process.argv.includes('--keep');
  const dir = mkdtempSync(join(tmpdir(), 'nest-jetstream-demo-'));
  const server = await NatsServer.start();
  const env = { NATS_SERVERS: server.url };
  const inventory = new ServiceProcess('inventory-service', { ...env, HTTP_PORT: keep ? '3001' : '0', DB_PATH: join(dir, 'inventory.sqlite') });
  const orders = new ServiceProcess('orders-service', { ...env, HTTP_PORT: keep ? '3000' : '0', DB_PATH: join(dir, 'orders.sqlite') });
  const stopAll = async () => {
    await Promise.all([orders.stop(), inventory.stop()]);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    console.log(`nats-server ${server.version} at ${server.url} (JetStream, store in a temp dir)`);
    await inventory.start();
    await orders.start();
    console.log(`orders-service at ${orders.url}, inventory-service at ${inventory.url}\n`);

    for (const o of SCENARIO) {
      for (let i = 0; i < (o.posts ?? 1); i++) {
        const res = await http<OrderView>('POST', `${orders.url}/orders`, { id: o.id, sku: o.sku, qty: o.qty });
        if (res.status >= 300) throw new Error(`POST /orders ${o.id} answered ${res.status}: ${JSON.stringify(res.body)}`);
      }
    }
    const final = new Map<string, OrderView>();
    await waitFor(
      'every demo order to reach a final status',
      async () => {
        for (const o of SCENARIO) {
          const res = await http<OrderView>('GET', `${orders.url}/orders/${o.id}`);
          if (res.body.status !== 'pending') final.set(o.id, res.body);
        }
        return final.size === SCENARIO.length;
      },
      { timeout: 30_000, interval: 200 },
    );

    const nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    const ordersStream = await jsm.streams.info('ORDERS', { subjects_filter: 'orders.created' });
    const reservations = (await http<{ orderId: string }[]>('GET', `${inventory.url}/reservations`)).body;
    const deadLetters = await jsm.streams.info('DEAD_LETTERS');
    const dl = deadLetters.state.messages > 0 ? await jsm.streams.getMessage('DEAD_LETTERS', { seq: deadLetters.state.first_seq }) : null;
    await nc.close();

    const rows = SCENARIO.map((o) => {
      const f = final.get(o.id)!;
      return [o.id, `${o.qty} × ${o.sku}`, o.what, f.status, f.reason ?? '', f.status === o.expect ? 'ok' : `EXPECTED ${o.expect}`];
    });
    const head = ['order', 'items', 'scenario', 'final status', 'detail', 'check'];
    const width = head.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i].length))));
    const line = (cells: string[]) => cells.map((c, i) => (c.length > width[i] ? `${c.slice(0, width[i] - 1)}…` : c.padEnd(width[i]))).join('  ');
    console.log(line(head));
    console.log(width.map((w) => '-'.repeat(w)).join('  '));
    rows.forEach((r) => console.log(line(r)));
    const twice = reservations.filter((r) => r.orderId === 'demo-twice').length;
    const events = ordersStream.state.subjects?.['orders.created'] ?? ordersStream.state.messages;
    const dead = readDeadLetter(dl?.header);
    console.log(`\norders.created events stored: ${events} for ${SCENARIO.length - 1} accepted orders (demo-twice once: msgId dedup)`);
    console.log(`reservations for demo-twice: ${twice}`);
    console.log(
      `dead letters: ${deadLetters.state.messages}${dead ? ` (from ${dead.stream} #${dead.sequence} after ${dead.deliveries} deliveries: ${dead.reason})` : ''}`,
    );

    // Each service's readiness, as a Kubernetes probe reads it.
    for (const svc of [orders, inventory]) {
      const ready = await http<{ status: string; details?: Record<string, { status: string; checks?: Record<string, { status: string }> }> }>(
        'GET',
        `${svc.url}/health/ready`,
      );
      const parts = Object.entries(ready.body.details ?? {}).map(([key, d]) =>
        d.checks
          ? `${key}: ${Object.entries(d.checks)
              .map(([name, c]) => `${name} ${c.status}`)
              .join(', ')}`
          : `${key}: ${d.status}`,
      );
      console.log(`${svc.name} /health/ready → ${ready.status} ${ready.body.status}\n  ${parts.join('\n  ')}`);
    }

    const ok = rows.every((r) => r[5] === 'ok') && events === SCENARIO.length - 1 && twice === 1 && deadLetters.state.messages === 1;
    console.log(ok ? '\ndemo: all orders ended as expected' : '\ndemo: SOMETHING ENDED UNEXPECTEDLY');
    if (keep) {
      console.log(
        `\nStill running (Ctrl-C to stop). Try:\n  curl -s -X POST ${orders.url}/orders -H 'content-type: application/json' -d '{"sku":"SKU-1","qty":1}'\n  curl -s ${orders.url}/orders/demo-ok\n  curl -s ${inventory.url}/reservations\n  curl -s ${orders.url}/health/ready\n  curl -s ${orders.url}/metrics`,
      );
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    return ok ? 0 : 1;
  } catch (err) {
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    console.error(`--- orders-service ---\n${orders.tail()}\n--- inventory-service ---\n${inventory.tail()}`);
    return 1;
  } finally {
    await stopAll();
  }
}

void main().then((code) => process.exit(code));
