import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import type { JetStreamServer } from '../server/jetstream.server.js';

/** What each instance handled: instance → message numbers. */
const handled = new Map<string, number[]>();

@Controller()
class BroadcastController {
  @JetStreamEvent('cache.invalidate', { mode: 'broadcast', inactiveThreshold: '2s' })
  invalidate(@Payload() data: { n: number }, @Ctx() ctx: JetStreamContext) {
    const instance = ctx.getInfo().consumer;
    handled.set(instance, [...(handled.get(instance) ?? []), data.n]);
  }
}

@Module({ controllers: [BroadcastController] })
class BroadcastModule {}

describe("mode 'broadcast' (real nats-server)", () => {
  const h = new Harness();
  const stream = uniqueName('CACHE');
  const instances: JetStreamServer[] = [];

  beforeAll(async () => {
    await h.start();
    for (let i = 0; i < 3; i++) {
      const { strategy } = await h.app(BroadcastModule, { serviceName: 'broadcast-spec', streams: [{ name: stream, subjects: ['cache.>'] }] });
      instances.push(strategy);
    }
  });
  afterAll(() => h.stop());

  const consumerNames = async () => {
    const names: string[] = [];
    for await (const c of h.jsm.consumers.list(stream)) names.push(c.name);
    return names.sort();
  };

  it('gives every message to every instance, each on a consumer of its own', async () => {
    const names = instances.map((s) => s.bindings[0].durable).sort();
    expect(new Set(names).size).toBe(3);
    expect(names.every((n) => n.startsWith('broadcast-spec__cache_invalidate_'))).toBe(true);
    expect(await consumerNames()).toEqual(names);
    for (let n = 1; n <= 50; n++) await h.js.publish('cache.invalidate', JSON.stringify({ n }));
    const all = Array.from({ length: 50 }, (_, i) => i + 1);
    await waitFor('every instance to handle all 50', () => names.every((name) => (handled.get(name) ?? []).length >= 50), { timeout: 15_000 });
    for (const name of names) expect([...new Set(handled.get(name))].sort((a, b) => a - b)).toEqual(all);
  });

  it('removes the consumer of an instance that stops, and of one that dies (inactive threshold)', async () => {
    const [stopping, dying, staying] = instances.map((s) => s.bindings[0].durable);
    await instances[0].close();
    // Dies: the connection goes away without the instance cleaning up.
    await instances[1].unwrap().close();
    await waitFor('only the live instance to keep a consumer', async () => (await consumerNames()).join() === staying, { timeout: 20_000 });
    expect(await consumerNames()).not.toContain(stopping);
    expect(await consumerNames()).not.toContain(dying);
  });
});
