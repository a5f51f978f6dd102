import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { NatsServer } from '@nest-jetstream/testing';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { JetStreamEventOptions } from '../interfaces/jetstream-event-options.interface.js';
import type { JetStreamOptions } from '../interfaces/jetstream-options.interface.js';
import { JetStreamModule } from '../module/jetstream.module.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import { JetStreamClient } from '../client/jetstream.client.js';

// Bad options fail where the README says, before anything connects: the server's and client's at
// construction (JetStreamModule's when Nest builds them), a handler's when Nest registers it.
// Each case below points at a real nats-server, which then reports that no client ever connected.

/** Options a JavaScript app, or one that reads them from configuration, can pass unchecked by the compiler. */
const fromConfig = (options: Record<string, unknown>) => options as JetStreamOptions;

let server: NatsServer;
beforeAll(async () => {
  server = await NatsServer.start();
});
afterAll(() => server?.stop());

/** The connections the server has had in its life (open or closed since). */
async function connectionsEver(): Promise<number> {
  const varz = (await (await fetch(`http://${server.host}:${server.ports.monitor}/varz`)).json()) as { total_connections?: number; connections: number };
  return varz.total_connections ?? varz.connections;
}

async function failure(action: () => unknown): Promise<Error> {
  try {
    await action();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a JetStreamConfigError, but nothing failed');
}

const bad = fromConfig({ consumerDefaults: { maxDelivery: 3 } });

describe('options checked at construction, before connecting (real nats-server)', () => {
  it('new JetStreamServer and new JetStreamClient throw on bad consumerDefaults, and nothing connects', async () => {
    const before = await connectionsEver();
    const connection = { servers: server.url };
    for (const make of [() => new JetStreamServer({ ...bad, connection }), () => new JetStreamClient({ ...bad, connection })]) {
      const err = await failure(make);
      expect(err).toBeInstanceOf(JetStreamConfigError);
      expect(err.message).toMatch(
        /^JetStream(Server|Client): unknown option "consumerDefaults\.maxDelivery" \(did you mean "consumerDefaults\.maxDeliver"\?\)/,
      );
    }
    expect(await connectionsEver()).toBe(before);
  });

  it('JetStreamModule.forRoot and forRootAsync fail while Nest builds the app, naming the option', async () => {
    const before = await connectionsEver();
    const options = fromConfig({ connection: { servers: server.url }, health: { storageUsageMax: 5 } });
    @Module({ imports: [JetStreamModule.forRoot(options)] })
    class SyncModule {}
    @Module({ imports: [JetStreamModule.forRootAsync({ useFactory: () => Promise.resolve(options) })] })
    class AsyncModule {}
    for (const module of [SyncModule, AsyncModule]) {
      const err = await failure(() => NestFactory.createApplicationContext(module, { logger: false, abortOnError: false }));
      expect(err.message).toMatch(/health\.storageUsageMax must be a fraction more than 0 and at most 1 \(e\.g\. 0\.9 for 90 %\); got 5/);
    }
    expect(await connectionsEver()).toBe(before);
  });

  it('a handler option unknown to the library fails listen() when Nest registers the handler, naming Class.method, before connecting', async () => {
    const handlerOptions = { maxDelivery: 3 } as unknown as JetStreamEventOptions;
    @Controller()
    class OrdersController {
      @JetStreamEvent('orders.created', handlerOptions)
      onCreated(@Payload() _order: unknown): void {}
    }
    @Module({ controllers: [OrdersController] })
    class OrdersModule {}
    const before = await connectionsEver();
    const strategy = new JetStreamServer({ connection: { servers: server.url }, serviceName: 'orders' });
    const app = await NestFactory.createMicroservice(OrdersModule, { strategy, logger: false });
    try {
      const err = await failure(() => app.listen());
      expect(err).toBeInstanceOf(JetStreamConfigError);
      expect(err.message).toMatch(
        /^@JetStreamEvent\('orders\.created'\) on OrdersController\.onCreated: unknown option "maxDelivery" \(did you mean "maxDeliver"\?\)/,
      );
      expect(await connectionsEver()).toBe(before);
    } finally {
      await app.close();
    }
  });
});
