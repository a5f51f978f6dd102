// Issue #23's proof for several connections: a service handling from one NATS server (its default
// connection) and from and to another (a named, non-critical one, with a JetStream domain of its
// own), on two single-node nats-servers from our launcher.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Controller, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { NatsServer, waitFor } from '@nest-jetstream/testing';
import { ConnectionUnavailableError, JetStreamClient, JetStreamEvent, JetStreamModule, JetStreamServer } from '@nest-jetstream/transport';

const BILLING_DOMAIN = 'billing';
/** What the service did with each order from A: its forward to B (`ok`, or the error's name and connection). */
const forwarded = new Map<string, string>();
/** The invoices the handler on B handled, by id. */
const invoiced: string[] = [];
let client: JetStreamClient;

@Controller()
class BillingController {
  // From A (the default connection), forwarded to B (the "billing" connection).
  @JetStreamEvent('tc.order.>')
  async forward(@Payload() order: { id: string }) {
    try {
      await client.publish(`tc.invoice.${order.id}`, order, { connection: 'billing', msgId: order.id });
      forwarded.set(order.id, 'ok');
    } catch (err) {
      forwarded.set(order.id, err instanceof ConnectionUnavailableError ? `${err.name}:${err.connection}` : String(err));
    }
  }

  // From B: its stream and consumer are provisioned through B (in its JetStream domain).
  @JetStreamEvent('tc.invoice.>', { connection: 'billing' })
  invoice(@Payload() invoice: { id: string }) {
    invoiced.push(invoice.id);
  }
}

/** The streams a server holds, asked in its own JetStream domain (`undefined`: the server has none). */
async function streamNames(url: string, domain?: string): Promise<string[]> {
  const nc = await connect({ servers: url });
  try {
    const names: string[] = [];
    for await (const name of (await jetstreamManager(nc, { domain })).streams.names()) names.push(name);
    return names.sort();
  } finally {
    await nc.close();
  }
}

async function startApp(aUrl: string, bUrl: string): Promise<INestApplication> {
  @Module({
    imports: [
      JetStreamModule.forRoot({
        serviceName: 'billing-bridge',
        connection: { servers: aUrl },
        streams: [
          { name: 'TC_ORDERS', subjects: ['tc.order.>'] },
          { name: 'TC_INVOICES', subjects: ['tc.invoice.>'], connection: 'billing' },
        ],
        connections: { billing: { connection: { servers: bUrl }, domain: BILLING_DOMAIN, critical: false } },
      }),
    ],
    controllers: [BillingController],
  })
  class BridgeModule {}
  const app = await NestFactory.create(BridgeModule, { logger: false });
  app.connectMicroservice({ strategy: app.get(JetStreamServer) });
  await app.startAllMicroservices();
  await app.init();
  return app;
}

describe('two connections: handling from server A, from and to server B (non-critical, its own JetStream domain)', () => {
  let a: NatsServer;
  let b: NatsServer;
  let bStore: string;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    bStore = mkdtempSync(join(tmpdir(), 'nest-jetstream-two-connections-'));
    // B is prepared, not started: the service boots while it is down.
    [a, b] = await Promise.all([
      NatsServer.start(),
      // The second jetstream block replaces the launcher's: same store dir, plus a domain.
      NatsServer.prepare({ storeDir: bStore, config: `jetstream { store_dir: "${bStore}", domain: ${BILLING_DOMAIN} }` }),
    ]);
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(bStore, { recursive: true, force: true });
  });

  it('boots without B, consumes from B once it is up; B stopped: live and ready on A, degraded, a typed publish error; B back: works again', async () => {
    app = await startApp(a.url, b.url);
    const server = app.get(JetStreamServer);
    client = app.get(JetStreamClient);
    await client.connect();

    // Booted with B down: A's handler runs, the health names B as the missing one.
    expect((await server.health.readiness()).status).toBe('up');
    const degraded = (await server.health.readiness()).checks.find((c) => c.name === 'nats.connections');
    expect(degraded).toMatchObject({ status: 'up', details: { status: 'degraded' } });
    const consumersCheck = async () => (await server.health.readiness()).checks.find((c) => c.name === 'jetstream.consumers');
    // Its handlers wait for B: degraded, not down.
    expect(await consumersCheck()).toMatchObject({ status: 'up', details: { degraded: [{ connection: 'billing', handlers: ['tc.invoice.>'] }] } });
    expect(server.bindings.map((binding) => binding.subject)).toEqual(['tc.order.>']);
    await client.publish('tc.order.0', { id: '0' });
    await waitFor('order 0 handled', () => forwarded.has('0'), { timeout: 20_000 });
    expect(forwarded.get('0')).toBe('ConnectionUnavailableError:billing');

    // B starts: the handler on it starts consuming without a restart of the app, its stream provisioned in B's domain only.
    await b.launch();
    await waitFor('the handler on B bound', () => server.bindings.some((binding) => binding.connection === 'billing'), { timeout: 30_000 });
    expect(server.bindings.find((binding) => binding.connection === 'billing')).toMatchObject({ subject: 'tc.invoice.>', stream: 'TC_INVOICES' });
    expect(await streamNames(b.url, BILLING_DOMAIN)).toContain('TC_INVOICES');
    expect(await streamNames(a.url)).not.toContain('TC_INVOICES');
    await waitFor('client connections up', () => client.connections.report().status === 'up', { timeout: 30_000 });
    await client.publish('tc.order.1', { id: '1' });
    await waitFor('order 1 invoiced on B', () => invoiced.includes('1'), { timeout: 20_000 });
    expect(forwarded.get('1')).toBe('ok');
    // Its consumer is read through B by the lag check.
    const invoices = server.bindings.find((binding) => binding.connection === 'billing');
    await waitFor('the consumer on B in the lag check', async () => (await consumersCheck())?.details?.[`TC_INVOICES/${invoices?.durable}`] !== undefined, {
      timeout: 20_000,
    });
    await waitFor(
      'server health up',
      async () => (await server.health.readiness()).checks.find((c) => c.name === 'nats.connections')?.details?.status === 'up',
      {
        timeout: 20_000,
      },
    );

    // B stopped: A's handler still handles, liveness and readiness stay up, the connections say degraded.
    await b.kill();
    await waitFor(
      'server health degraded',
      async () => (await server.health.readiness()).checks.find((c) => c.name === 'nats.connections')?.details?.status === 'degraded',
      {
        timeout: 20_000,
      },
    );
    await client.publish('tc.order.2', { id: '2' });
    await waitFor('order 2 handled', () => forwarded.has('2'), { timeout: 20_000 });
    expect(forwarded.get('2')).toBe('ConnectionUnavailableError:billing');
    expect((await server.health.liveness()).status).toBe('up');
    expect((await server.health.readiness()).status).toBe('up');
    expect((await client.health.readiness()).status).toBe('up');
    expect(await consumersCheck()).toMatchObject({ status: 'up', details: { degraded: [{ connection: 'billing' }] } });

    // B back: the forward works and the handler on B handles it (its consumer survived in B's store).
    await b.restart();
    await waitFor('client connections up again', () => client.connections.report().status === 'up', { timeout: 30_000 });
    await client.publish('tc.order.3', { id: '3' });
    await waitFor('order 3 invoiced on B', () => invoiced.includes('3'), { timeout: 30_000 });
    expect(forwarded.get('3')).toBe('ok');
    // Each invoice once: the one forwarded while B was down was refused, not queued.
    expect([...invoiced].sort()).toEqual(['1', '3']);

    // Published straight into B's domain, it is handled too.
    const nc = await connect({ servers: b.url });
    try {
      await jetstream(nc, { domain: BILLING_DOMAIN }).publish('tc.invoice.direct', JSON.stringify({ id: 'direct' }));
    } finally {
      await nc.close();
    }
    await waitFor('the direct invoice handled', () => invoiced.includes('direct'), { timeout: 20_000 });
  });
});
