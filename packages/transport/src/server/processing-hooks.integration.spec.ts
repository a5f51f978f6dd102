import { AsyncLocalStorage } from 'node:async_hooks';
import { Controller, Module, UsePipes, type PipeTransform } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, Probe, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';

// A CLS-style processing hook (AsyncLocalStorage entered by the start hook) reaches JetStream
// handlers called directly and through Nest's pipeline; the end hook runs after the handler.
// On NestJS 12 the client's dispatch hook attaches packet metadata, read back from the context.

const als = new AsyncLocalStorage<{ requestId: string }>();
const seen = new Probe<{ handler: string; store?: string; metadata: Record<string, string> }>();
const order: string[] = [];
const isNest12 = typeof (JetStreamClient.prototype as unknown as { setOnDispatchHook?: unknown }).setOnDispatchHook === 'function';

class PassThrough implements PipeTransform {
  transform(value: unknown) {
    return value;
  }
}

@Controller()
class HookedController {
  @JetStreamEvent('hooks.direct')
  async direct(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    await new Promise((r) => setImmediate(r));
    order.push(`handler ${ctx.getInfo().streamSequence}`);
    seen.add({ handler: 'direct', store: als.getStore()?.requestId, metadata: ctx.getMetadata() });
  }

  @JetStreamEvent('hooks.pipeline')
  @UsePipes(PassThrough)
  piped(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    seen.add({ handler: 'pipeline', store: als.getStore()?.requestId, metadata: ctx.getMetadata() });
  }
}

@Module({ controllers: [HookedController] })
class HookedModule {}

describe('NestJS processing hooks and packet metadata (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('HOOKS');
  let client: JetStreamClient;

  beforeAll(async () => {
    await h.start();
    await h.app(HookedModule, { serviceName: 'hooks', streams: [{ name: stream, subjects: ['hooks.>'] }] }, (app) => {
      const strategy = (app as unknown as { serverInstance: import('./jetstream.server.js').JetStreamServer }).serverInstance;
      strategy.setOnProcessingStartHook((_transport, ctx, done) =>
        als.run({ requestId: (ctx as JetStreamContext).getMetadata().requestId ?? `seq-${(ctx as JetStreamContext).getInfo().streamSequence}` }, done),
      );
      strategy.setOnProcessingEndHook((_transport, ctx) => order.push(`end ${(ctx as JetStreamContext).getInfo().streamSequence}`));
    });
    client = new JetStreamClient({ connection: { servers: h.server.url } });
  });
  afterAll(async () => {
    await client.close();
    await h.stop();
  });

  it('runs each handler inside the start hook, direct and through the pipeline, and the end hook after it', async () => {
    const a = await h.js.publish('hooks.direct', '{}');
    const b = await h.js.publish('hooks.pipeline', '{}');
    await waitFor('both handlers', () => seen.count((s) => s.metadata.requestId === undefined) === 2);
    expect(seen.seen.find((s) => s.handler === 'direct')?.store).toBe(`seq-${a.seq}`);
    expect(seen.seen.find((s) => s.handler === 'pipeline')?.store).toBe(`seq-${b.seq}`);
    await waitFor('the end hooks', () => order.includes(`end ${a.seq}`) && order.includes(`end ${b.seq}`));
    expect(order.indexOf(`handler ${a.seq}`)).toBeLessThan(order.indexOf(`end ${a.seq}`));
  });

  // One of the next two tests exists per run: what the dispatch hook gives depends on the installed
  // NestJS, and each pass of `npm test` installs one (12 in pass 0, 11 in pass 2).
  const onNest12 = isNest12 ? it : () => undefined;
  const onNest11 = isNest12 ? () => undefined : it;

  onNest11('NestJS 11 has no client dispatch hook: a message carries no metadata', async () => {
    const { seq } = await client.publish('hooks.direct', { n: 0 });
    await waitFor('the handler', () => order.includes(`end ${seq}`));
    expect(seen.seen.at(-1)).toMatchObject({ handler: 'direct', store: `seq-${seq}`, metadata: {} });
  });

  onNest12("carries the dispatch hook's packet metadata from publish() and emit() to ctx.getMetadata() (NestJS 12)", async () => {
    (client as unknown as { setOnDispatchHook(h: (p: { metadata?: Record<string, string> }) => void): void }).setOnDispatchHook((packet) => {
      const store = als.getStore();
      if (store) packet.metadata = { requestId: store.requestId, tenant: 'acme' };
    });
    await als.run({ requestId: 'req-publish' }, () => client.publish('hooks.direct', { n: 1 }));
    await als.run(
      { requestId: 'req-emit' },
      () => new Promise((resolve, reject) => client.emit('hooks.pipeline', { n: 2 }).subscribe({ complete: () => resolve(undefined), error: reject })),
    );
    await waitFor('the handlers with metadata', () => seen.count((s) => s.metadata.tenant === 'acme') === 2);
    expect(seen.seen.find((s) => s.handler === 'direct' && s.metadata.tenant)).toMatchObject({
      store: 'req-publish',
      metadata: { requestId: 'req-publish', tenant: 'acme' },
    });
    expect(seen.seen.find((s) => s.handler === 'pipeline' && s.metadata.tenant)).toMatchObject({
      store: 'req-emit',
      metadata: { requestId: 'req-emit', tenant: 'acme' },
    });
  });
});
