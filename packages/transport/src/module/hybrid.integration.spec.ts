import { Controller, Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, Ctx, EventPattern, MessagePattern, Payload, Transport, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, Probe, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import { JetStreamModule } from './jetstream.module.js';

const probe = new Probe<string>();

@Controller()
class HybridController {
  @MessagePattern('hybrid.sum')
  sum(@Payload() data: number[]) {
    probe.add('core:sum');
    return data.reduce((a, b) => a + b, 0);
  }

  @JetStreamEvent('hybrid.evt')
  onJetStream(@Payload() data: { id: string }, @Ctx() ctx: JetStreamContext) {
    probe.add(`js:${data.id}:${ctx instanceof JetStreamContext}`);
  }

  @EventPattern('hybrid.plain')
  onPlain(@Payload() data: { id: string }) {
    probe.add(`plain:${data.id}`);
  }
}

@Injectable()
class Emitter {
  constructor(readonly client: JetStreamClient) {}
}

describe('hybrid app: Transport.NATS beside JetStream, via JetStreamModule.forRootAsync (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('HYBRID');
  let app: INestApplication;
  let core: ClientProxy;

  beforeAll(async () => {
    await h.start();
    @Module({
      imports: [
        JetStreamModule.forRootAsync({
          isGlobal: true,
          useFactory: async () => ({
            connection: { servers: h.server.url },
            serviceName: 'hybrid',
            streams: [{ name: stream, subjects: ['hybrid.evt', 'hybrid.plain'] }],
          }),
        }),
      ],
      controllers: [HybridController],
      providers: [Emitter],
    })
    class HybridModule {}

    app = await NestFactory.create(HybridModule, { logger: false });
    app.connectMicroservice({ transport: Transport.NATS, options: { servers: [h.server.url] } });
    app.connectMicroservice({ strategy: app.get(JetStreamServer) });
    await app.startAllMicroservices();
    await app.init();
    core = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [h.server.url] } });
  });
  afterAll(async () => {
    await core?.close();
    await app?.close();
    await h.stop();
  });

  it('runs on the NestJS major this pass is for (NEST_COMPAT=11 maps to the NestJS 11 packages)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { version } = require('@nestjs/core/package.json') as { version: string };
    expect(version.split('.')[0]).toBe(process.env.NEST_COMPAT ?? '12');
  });

  it('keeps request/reply on core NATS', async () => {
    await expect(firstValueFrom(core.send<number>('hybrid.sum', [1, 2, 3]))).resolves.toBe(6);
  });

  it('binds only @JetStreamEvent handlers to JetStream, each consumed once', async () => {
    const server = app.get(JetStreamServer);
    expect(server.bindings.map((b) => b.subject)).toEqual(['hybrid.evt']);
    // Registered through connectMicroservice on an injected server, the handler is still called directly.
    expect(server.bindings[0].invocation).toBe('direct');
    const ack = await lastValueFrom(app.get(Emitter).client.emit('hybrid.evt', { id: 'a1' }));
    expect(ack.stream).toBe(stream);
    await waitFor('the JetStream handler', () => probe.count((p) => p === 'js:a1:true') === 1);
    await waitFor('the ack', async () => (await h.jsm.consumers.info(stream, 'hybrid__hybrid_evt')).num_ack_pending === 0);
    // Transport.NATS did not subscribe to the JetStream subject: still exactly one run.
    expect(probe.count((p) => p.startsWith('js:a1'))).toBe(1);
  });

  it('leaves plain @EventPattern to Transport.NATS unless bindPlainEventPatterns is set', async () => {
    await h.js.publish('hybrid.plain', JSON.stringify({ id: 'p1' }));
    await waitFor('the plain handler via core NATS', () => probe.count((p) => p === 'plain:p1') === 1);
    const jsOnly = new JetStreamServer({ bindPlainEventPatterns: true });
    jsOnly.addHandler('hybrid.plain', async () => undefined, true, {});
    jsOnly.addHandler('hybrid.sum', async () => undefined, false, {});
    expect(jsOnly.getHandlers().has('hybrid.plain')).toBe(true);
    expect(jsOnly.getHandlers().has('hybrid.sum')).toBe(false);
    expect(() => jsOnly.unwrap()).toThrow(/has no NATS connection yet/);
  });
});
