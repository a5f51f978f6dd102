import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { NatsServer, waitFor } from '@nest-jetstream/testing';
import { deleteConsumer, Harness, Probe, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamConnectionError } from '../errors/jetstream-transport.error.js';
import { JetStreamServer } from './jetstream.server.js';

const handled = new Probe<number>();
let running = 0;
let maxRunning = 0;
const gate = { slowMs: 0 };

@Controller()
class LifecycleController {
  @JetStreamEvent('life.parallel', { concurrency: 3, maxAckPending: 30 })
  async parallel(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    running++;
    maxRunning = Math.max(maxRunning, running);
    await new Promise((r) => setTimeout(r, 100));
    running--;
    handled.add(ctx.getInfo().streamSequence);
  }

  @JetStreamEvent('life.slow')
  async slow(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    handled.add(-ctx.getInfo().streamSequence);
    await new Promise((r) => setTimeout(r, gate.slowMs));
    handled.add(ctx.getInfo().streamSequence);
  }

  @JetStreamEvent('life.steady', { concurrency: 20, maxAckPending: 200, ackWait: '2s' })
  steady(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    handled.add(ctx.getInfo().streamSequence);
  }
}

@Module({ controllers: [LifecycleController] })
class LifecycleModule {}

describe('server lifecycle (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('LIFE');
  const options = { serviceName: 'life', streams: [{ name: stream, subjects: ['life.>'] }] };
  beforeAll(() => h.start());
  afterAll(() => h.stop());
  afterEach(() => h.closeApps());

  it('runs up to `concurrency` handlers at once, never more', async () => {
    await h.app(LifecycleModule, options);
    const seqs = await Promise.all(Array.from({ length: 12 }, () => h.js.publish('life.parallel', '{}').then((a) => a.seq)));
    await waitFor('all 12 handled', () => seqs.every((s) => handled.count((x) => x === s) === 1));
    expect(maxRunning).toBe(3);
  });

  it('close() waits for a running handler, acks it, and it is not redelivered', async () => {
    const { app } = await h.app(LifecycleModule, options);
    gate.slowMs = 1500;
    const { seq } = await h.js.publish('life.slow', '{}');
    await waitFor('the slow handler to start', () => handled.count((x) => x === -seq) === 1);
    await app.close();
    expect(handled.count((x) => x === seq)).toBe(1);
    const info = await h.jsm.consumers.info(stream, 'life__life_slow');
    expect(info.ack_floor.stream_seq).toBe(seq);
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
  });

  it('close() naks a handler still running after shutdownTimeout: redelivered at once, not after ackWait', async () => {
    const { app } = await h.app(LifecycleModule, { ...options, shutdownTimeout: '200ms' });
    gate.slowMs = 1500;
    const { seq } = await h.js.publish('life.slow', '{}');
    await waitFor('the slow handler to start', () => handled.count((x) => x === -seq) === 1);
    await app.close();
    gate.slowMs = 0;
    await h.app(LifecycleModule, options);
    // ackWait is 30 s: a redelivery within the wait below can only come from the nak.
    await waitFor('the message to be delivered again', () => handled.count((x) => x === -seq) === 2);
    await waitFor('the second delivery to be acked', async () => (await h.jsm.consumers.info(stream, 'life__life_slow')).num_ack_pending === 0);
  });

  it('a nats-server SIGKILL and restart mid-stream loses nothing acknowledged', async () => {
    await h.app(LifecycleModule, options);
    const seqs: number[] = [];
    for (let i = 0; i < 300; i++) seqs.push((await h.js.publish('life.steady', JSON.stringify({ i }))).seq);
    await waitFor('consumption to be under way', () => handled.count((x) => seqs.includes(x)) > 0);
    await h.server.kill('SIGKILL');
    await h.server.restart();
    // Publish more after the restart; the JetStreamServer reconnects by itself.
    for (let i = 0; i < 50; i++) seqs.push((await h.js.publish('life.steady', JSON.stringify({ i }), { retries: 20 })).seq);
    await waitFor('every published message handled', () => seqs.every((s) => handled.count((x) => x === s) >= 1), { timeout: 30_000 });
    await waitFor(
      'all acked',
      async () => {
        const info = await h.jsm.consumers.info(stream, 'life__life_steady');
        return info.num_ack_pending === 0 && info.num_pending === 0;
      },
      { timeout: 30_000 },
    );
  });

  it('puts back a consumer deleted while it runs, and keeps consuming', async () => {
    const { strategy } = await h.app(LifecycleModule, options);
    await deleteConsumer(h.jsm, stream, 'life__life_steady');
    await waitFor(
      'the consumer to be recreated',
      () =>
        h.jsm.consumers.info(stream, 'life__life_steady').then(
          () => true,
          () => false,
        ),
      { timeout: 20_000 },
    );
    const { seq } = await h.js.publish('life.steady', '{}');
    await waitFor('the message after the heal to be handled', () => handled.count((x) => x === seq) === 1, { timeout: 20_000 });
    expect(strategy.bindings).toHaveLength(3);
  });

  it('reports its status: connected after listen, closed after close', async () => {
    const { app, strategy } = await h.app(LifecycleModule, options);
    const seen: string[] = [];
    const sub = strategy.status.subscribe((s) => seen.push(s));
    expect(seen).toEqual(['connected']);
    expect(strategy.unwrap<{ isClosed(): boolean }>().isClosed()).toBe(false);
    await app.close();
    expect(seen).toEqual(['connected', 'closed']);
    sub.unsubscribe();
    expect(() => strategy.unwrap()).toThrow(/JetStreamServer\.unwrap\(\): it is closed/);
    expect(() => new JetStreamServer({ serviceName: 'x' }).unwrap()).toThrow(/has no NATS connection yet/);
  });

  it('listen() fails with an error that points at the credentials when the server refuses them', async () => {
    const guarded = await NatsServer.start({ config: 'authorization { users: [ { user: svc, password: right } ] }' });
    try {
      const strategy = new JetStreamServer({ connection: { servers: guarded.url, user: 'svc', pass: 'wrong', reconnect: false }, serviceName: 'life' });
      const err = await new Promise<unknown>((resolve) => void strategy.listen((e?: unknown) => resolve(e)));
      expect(err).toBeInstanceOf(JetStreamConnectionError);
      expect((err as Error).message).toMatch(/cannot connect to NATS at .*Authorization Violation\. Check the credentials in connection/);
    } finally {
      await guarded.stop();
    }
  });

  it('listen() fails with a clear error when JetStream is off on the server', async () => {
    const plain = await NatsServer.start({ jetstream: false });
    try {
      const strategy = new JetStreamServer({ connection: { servers: plain.url } });
      const err = await new Promise((resolve) => void strategy.listen(resolve));
      expect(err).toBeInstanceOf(JetStreamConnectionError);
      expect((err as Error).message).toMatch(/JetStream does not answer.*Start nats-server with -js/);
    } finally {
      await plain.stop();
    }
  });

  it('listen() fails fast with a clear error when NATS is unreachable', async () => {
    const strategy = new JetStreamServer({ connection: { servers: 'nats://127.0.0.1:1', reconnect: false } });
    const err = await new Promise((resolve) => void strategy.listen(resolve));
    expect(err).toBeInstanceOf(JetStreamConnectionError);
    expect((err as Error).message).toMatch(/JetStreamServer cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
  });
});
