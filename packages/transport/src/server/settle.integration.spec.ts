import { Controller, Injectable, Module, type PipeTransform, BadRequestException } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, Probe, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamTermError } from '../errors/handler.errors.js';
import type { TerminatedMessageEvent } from '../events/settle.events.js';
import { JetStreamClient } from '../client/jetstream.client.js';

interface Seen {
  subject: string;
  data: unknown;
  delivery: number;
  seq: number;
  at: number;
}

const probe = new Probe<Seen>();
const record = (data: unknown, ctx: JetStreamContext) => {
  const info = ctx.getInfo();
  probe.add({ subject: ctx.getSubject(), data, delivery: info.deliveryCount, seq: info.streamSequence, at: Date.now() });
};

@Injectable()
class RejectNonNumbers implements PipeTransform {
  transform(value: unknown) {
    if (typeof (value as { n?: unknown })?.n !== 'number') throw new BadRequestException('n must be a number');
    return value;
  }
}

class InvalidOrderError extends Error {}

@Controller()
class SettleController {
  // A 400 the handler throws itself (say, a downstream HTTP call said so) is retried like any failure.
  @JetStreamEvent('settle.downstream400', { maxDeliver: 2, backoff: ['100ms'] })
  downstream(@Payload() data: unknown, @Ctx() ctx: JetStreamContext) {
    record(data, ctx);
    throw new BadRequestException('the pricing service said 400');
  }

  @JetStreamEvent('settle.declaredPoison', { maxDeliver: 3, poisonErrors: [InvalidOrderError] })
  declaredPoison(@Payload() data: unknown, @Ctx() ctx: JetStreamContext) {
    record(data, ctx);
    throw new InvalidOrderError('an order without lines');
  }

  @JetStreamEvent('settle.ok')
  ok(@Payload() data: unknown, @Ctx() ctx: JetStreamContext) {
    record(data, ctx);
  }

  @JetStreamEvent('settle.flaky', { backoff: ['300ms', '600ms'], maxDeliver: 3 })
  async flaky(@Payload() data: { failTimes: number }, @Ctx() ctx: JetStreamContext) {
    record(data, ctx);
    if (ctx.getInfo().deliveryCount <= data.failTimes) throw new Error(`boom ${ctx.getInfo().deliveryCount}`);
  }

  @JetStreamEvent('settle.poison')
  poison(@Payload() data: unknown, @Ctx() ctx: JetStreamContext) {
    record(data, ctx);
    throw new JetStreamTermError('cannot ever process this');
  }

  @JetStreamEvent('settle.validated')
  validated(@Payload(RejectNonNumbers) data: unknown, @Ctx() ctx: JetStreamContext) {
    record(data, ctx);
  }

  @JetStreamEvent('settle.slow', { ackWait: '1s' })
  async slow(@Payload() data: { ms: number }, @Ctx() ctx: JetStreamContext) {
    await new Promise((r) => setTimeout(r, data.ms));
    record(data, ctx);
  }

  @JetStreamEvent('settle.manual', { manualAck: true })
  manual(@Payload() data: { action: 'ack' | 'term' }, @Ctx() ctx: JetStreamContext) {
    record(data, ctx);
    if (data.action === 'ack') ctx.ack();
    else ctx.term('manual term');
  }
}

@Module({ controllers: [SettleController] })
class SettleModule {}

describe('settling messages (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('SETTLE');
  const terminated: TerminatedMessageEvent[] = [];

  beforeAll(async () => {
    await h.start();
    const { strategy } = await h.app(SettleModule, {
      serviceName: 'settle-spec',
      streams: [{ name: stream, subjects: ['settle.>'] }],
      consumerDefaults: { backoff: ['200ms'] },
    });
    strategy.on('terminated', (e) => terminated.push(e));
  });
  afterAll(() => h.stop());

  const consumerInfo = (subject: string) => h.jsm.consumers.info(stream, `settle-spec__${subject.replace(/\./g, '_')}`);

  it('acks after the handler succeeds: nothing pending, nothing redelivered', async () => {
    await h.js.publish('settle.ok', JSON.stringify({ hello: 'world' }));
    await waitFor('the ok handler to run', () => probe.count((s) => s.subject === 'settle.ok') === 1);
    await waitFor('the ack to reach the server', async () => (await consumerInfo('settle.ok')).num_ack_pending === 0);
    const info = await consumerInfo('settle.ok');
    expect(info.num_redelivered).toBe(0);
    expect(info.delivered.stream_seq).toBe(info.ack_floor.stream_seq);
    expect(probe.seen.find((s) => s.subject === 'settle.ok')?.data).toEqual({ hello: 'world' });
  });

  it('naks a failure with the backoff delay for that attempt, then acks the success', async () => {
    await h.js.publish('settle.flaky', JSON.stringify({ failTimes: 2 }));
    await waitFor('three deliveries', () => probe.count((s) => s.subject === 'settle.flaky') === 3, { timeout: 10_000 });
    const runs = probe.seen.filter((s) => s.subject === 'settle.flaky');
    expect(runs.map((r) => r.delivery)).toEqual([1, 2, 3]);
    // nak(300ms) after the first failure, nak(600ms) after the second: no hot loop.
    expect(runs[1].at - runs[0].at).toBeGreaterThanOrEqual(250);
    expect(runs[2].at - runs[1].at).toBeGreaterThanOrEqual(550);
    // Redelivered after the nak delay, not after ackWait (30 s); the bound is loose for busy machines.
    expect(runs[2].at - runs[1].at).toBeLessThan(15_000);
    await waitFor('the final ack', async () => (await consumerInfo('settle.flaky')).num_ack_pending === 0);
  });

  it('terminates after maxDeliver failed attempts, and says so', async () => {
    const { seq } = await h.js.publish('settle.flaky', JSON.stringify({ failTimes: 99 }));
    await waitFor('the terminated event', () => terminated.find((t) => t.streamSequence === seq));
    const event = terminated.find((t) => t.streamSequence === seq)!;
    expect(event.exhausted).toBe(true);
    expect(event.deliveryCount).toBe(3);
    expect(event.reason).toMatch(/last attempt \(3\/3\).*boom 3/);
    expect(probe.count((s) => s.subject === 'settle.flaky' && s.seq === seq)).toBe(3);
    await waitFor('nothing left pending', async () => (await consumerInfo('settle.flaky')).num_ack_pending === 0);
  });

  it('terminates a JetStreamTermError at once, without redelivery', async () => {
    const { seq } = await h.js.publish('settle.poison', JSON.stringify({}));
    await waitFor('the terminated event', () => terminated.find((t) => t.streamSequence === seq));
    expect(terminated.find((t) => t.streamSequence === seq)).toMatchObject({
      exhausted: false,
      deliveryCount: 1,
      reason: expect.stringMatching(/cannot ever process this/),
    });
    await waitFor('nothing pending', async () => (await consumerInfo('settle.poison')).num_ack_pending === 0);
    expect((await consumerInfo('settle.poison')).num_redelivered).toBe(0);
    expect(probe.count((s) => s.subject === 'settle.poison' && s.seq === seq)).toBe(1);
  });

  it('terminates a payload the codec cannot decode, before the handler runs', async () => {
    const { seq } = await h.js.publish('settle.ok', '{not json');
    await waitFor('the terminated event', () => terminated.find((t) => t.streamSequence === seq));
    expect(terminated.find((t) => t.streamSequence === seq)!.reason).toMatch(/DecodeError: Cannot decode message/);
    expect(probe.count((s) => s.seq === seq)).toBe(0);
  });

  it('terminates a message that fails a validation pipe', async () => {
    const { seq } = await h.js.publish('settle.validated', JSON.stringify({ n: 'not a number' }));
    await waitFor('the terminated event', () => terminated.find((t) => t.streamSequence === seq));
    expect(terminated.find((t) => t.streamSequence === seq)!.reason).toMatch(/n must be a number/);
    const good = await h.js.publish('settle.validated', JSON.stringify({ n: 1 }));
    await waitFor('the valid message to be handled', () => probe.count((s) => s.seq === good.seq) === 1);
  });

  it("retries a 400 the handler threw itself: only a pipe's rejection is poison", async () => {
    const { seq } = await h.js.publish('settle.downstream400', JSON.stringify({}));
    await waitFor('the terminated event after the last attempt', () => terminated.find((t) => t.streamSequence === seq));
    expect(terminated.find((t) => t.streamSequence === seq)).toMatchObject({
      exhausted: true,
      reason: expect.stringMatching(/last attempt \(2\/2\).*pricing service said 400/),
    });
    expect(probe.seen.filter((s) => s.seq === seq).map((s) => s.delivery)).toEqual([1, 2]);
  });

  it('terminates an error class the handler declares poison at once', async () => {
    const { seq } = await h.js.publish('settle.declaredPoison', JSON.stringify({}));
    await waitFor('the terminated event', () => terminated.find((t) => t.streamSequence === seq));
    expect(terminated.find((t) => t.streamSequence === seq)).toMatchObject({
      exhausted: false,
      deliveryCount: 1,
      reason: expect.stringMatching(/an order without lines/),
    });
    expect(probe.count((s) => s.seq === seq)).toBe(1);
  });

  it('keeps a handler that outlives ackWait alive with working(): delivered once', async () => {
    const { seq } = await h.js.publish('settle.slow', JSON.stringify({ ms: 2500 }));
    await waitFor('the slow handler to finish', () => probe.count((s) => s.seq === seq && s.subject === 'settle.slow') === 1, { timeout: 8000 });
    await waitFor('the ack', async () => (await consumerInfo('settle.slow')).num_ack_pending === 0);
    const info = await consumerInfo('settle.slow');
    expect(info.num_redelivered).toBe(0);
    expect(probe.count((s) => s.subject === 'settle.slow')).toBe(1);
  });

  it('a msgId published twice is stored once and handled once', async () => {
    const client = new JetStreamClient({ connection: { servers: h.server.url } });
    try {
      const first = await client.publish('settle.ok', { dedup: 1 }, { msgId: 'dedup-1' });
      const second = await client.publish('settle.ok', { dedup: 1 }, { msgId: 'dedup-1' });
      expect(second).toMatchObject({ duplicate: true, seq: first.seq });
      const marker = await client.publish('settle.ok', { dedup: 'marker' });
      await waitFor('the marker after the duplicate to be handled', () => probe.count((s) => s.seq === marker.seq) === 1);
      expect(probe.count((s) => (s.data as { dedup?: number })?.dedup === 1)).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('hands settlement to a manualAck handler (ack and term)', async () => {
    const a = await h.js.publish('settle.manual', JSON.stringify({ action: 'ack' }));
    const t = await h.js.publish('settle.manual', JSON.stringify({ action: 'term' }));
    await waitFor('both handled', () => probe.count((s) => s.subject === 'settle.manual') === 2);
    await waitFor('nothing pending', async () => (await consumerInfo('settle.manual')).num_ack_pending === 0);
    expect((await consumerInfo('settle.manual')).num_redelivered).toBe(0);
    // The term is a term, with the handler's reason; the ack is not one.
    await waitFor('the terminated event of the manual term', () => terminated.find((e) => e.streamSequence === t.seq));
    expect(terminated.find((e) => e.streamSequence === t.seq)).toMatchObject({ subject: 'settle.manual', reason: 'manual term', exhausted: false });
    expect(terminated.some((e) => e.streamSequence === a.seq)).toBe(false);
    expect(
      probe.seen
        .filter((s) => s.subject === 'settle.manual')
        .map((s) => s.seq)
        .sort((x, y) => x - y),
    ).toEqual([a.seq, t.seq]);
  });
});
