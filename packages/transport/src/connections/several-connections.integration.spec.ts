import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Controller, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { NatsServer, freePort, waitFor } from '@nest-jetstream/testing';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamConnectionError } from '../errors/jetstream-transport.error.js';
import { JetStreamModule } from '../module/jetstream.module.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import { ConnectionUnavailableError, UnknownConnectionError } from './connection-errors.js';

/** What the service did with each message from A: handled, and its forward to B (ok, or the error's name and connection). */
const outcomes = new Map<string, string>();
let forwarder: JetStreamClient;

@Controller()
class ForwardController {
  // Handles from A (the default connection) and forwards to B (the "billing" connection).
  @JetStreamEvent('sc.in.>')
  async forward(@Payload() data: { id: string }) {
    try {
      await forwarder.publish(`bill.${data.id}`, data, { connection: 'billing', msgId: data.id });
      outcomes.set(data.id, 'ok');
    } catch (err) {
      outcomes.set(data.id, err instanceof ConnectionUnavailableError ? `${err.name}:${err.connection}` : String(err));
    }
  }
}

async function streamMessages(url: string, stream: string): Promise<number> {
  const nc = await connect({ servers: url });
  try {
    return (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
  } finally {
    await nc.close();
  }
}

describe('several named connections: handling from server A, publishing to server B (real nats-servers)', () => {
  let a: NatsServer;
  let b: NatsServer;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    [a, b] = await Promise.all([NatsServer.start(), NatsServer.start()]);
    const nc = await connect({ servers: b.url });
    await (await jetstreamManager(nc)).streams.add({ name: 'BILL', subjects: ['bill.>'] });
    await nc.close();
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('stays live and ready for A while B is down: health degraded, publishing to B a typed error, then working again', async () => {
    @Module({
      imports: [
        JetStreamModule.forRoot({
          serviceName: 'forwarder',
          connection: { servers: a.url },
          streams: [{ name: 'SC_IN', subjects: ['sc.in.>'] }],
          connections: { billing: { connection: { servers: b.url }, critical: false } },
        }),
      ],
      controllers: [ForwardController],
    })
    class ForwardModule {}
    app = await NestFactory.create(ForwardModule, { logger: false });
    app.connectMicroservice({ strategy: app.get(JetStreamServer) });
    await app.startAllMicroservices();
    await app.init();
    forwarder = app.get(JetStreamClient);
    await forwarder.connect();
    const server = app.get(JetStreamServer);
    await waitFor('connections up', () => forwarder.connections.report().status === 'up', { timeout: 20_000 });

    await forwarder.publish('sc.in.1', { id: '1' });
    await waitFor('message 1 forwarded to B', () => outcomes.get('1') === 'ok', { timeout: 20_000 });
    expect(await streamMessages(b.url, 'BILL')).toBe(1);

    await b.kill();
    await waitFor('billing degraded', () => forwarder.connections.report().status === 'degraded', { timeout: 20_000 });
    expect(forwarder.connections.report().connections).toEqual([
      { name: 'default', critical: true, state: 'up' },
      { name: 'billing', critical: false, state: 'down' },
    ]);
    // The handlers on A never stopped: the next message is handled, its forward refused by name.
    await forwarder.publish('sc.in.2', { id: '2' });
    await waitFor('message 2 handled', () => outcomes.has('2'), { timeout: 20_000 });
    expect(outcomes.get('2')).toBe('ConnectionUnavailableError:billing');
    expect((await server.health.liveness()).status).toBe('up');
    expect((await server.health.readiness()).status).toBe('up');
    // The client's readiness stays up and says which connection is missing.
    const ready = await forwarder.health.readiness();
    expect(ready.status).toBe('up');
    expect(ready.checks.find((c) => c.name === 'nats.connections')?.details).toMatchObject({ status: 'degraded' });

    await b.restart();
    await waitFor('connections up again', () => forwarder.connections.report().status === 'up', { timeout: 30_000 });
    await forwarder.publish('sc.in.3', { id: '3' });
    await waitFor('message 3 forwarded to B', () => outcomes.get('3') === 'ok', { timeout: 20_000 });
    expect(await streamMessages(b.url, 'BILL')).toBe(2);
  });

  it('a non-critical connection that cannot connect does not block connect(); a critical one fails it, naming it', async () => {
    const nowhere = `nats://127.0.0.1:${await freePort()}`;
    const relaxed = new JetStreamClient({ connection: { servers: a.url }, connections: { billing: { connection: { servers: nowhere }, critical: false } } });
    try {
      await relaxed.connect();
      expect(relaxed.connections.report().status).toBe('degraded');
      await expect(relaxed.publish('bill.x', {}, { connection: 'billing' })).rejects.toThrow(
        /Cannot publish bill\.x through connection "billing": it has not connected yet/,
      );
      await expect(relaxed.publish('bill.x', {}, { connection: 'biling' })).rejects.toThrow(UnknownConnectionError);
      await expect(relaxed.publish('bill.x', {}, { connection: 'biling' })).rejects.toThrow(
        /"biling", which is not declared; the known connections are "default", "billing"/,
      );
    } finally {
      await relaxed.close();
    }
    const strict = new JetStreamClient({ connection: { servers: a.url }, connections: { billing: { connection: { servers: nowhere } } } });
    try {
      const failed = strict.connect();
      await expect(failed).rejects.toThrow(JetStreamConnectionError);
      await expect(failed).rejects.toThrow(/connection "billing"\) cannot connect to NATS/);
    } finally {
      await strict.close();
    }
  });
});
