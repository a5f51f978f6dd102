import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, Probe, uniqueName } from '../__fixtures__/harness.js';
import { RawCodec } from '../codecs/raw.codec.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import type { TerminatedMessageEvent } from '../events/settle.events.js';
import { readDeadLetter } from './dead-letter-headers.js';

// The documented dead-letter handler (docs/dead-letters.md) reads every dead letter the library
// writes, poison bytes included: with `codec: new RawCodec()` it gets the payload as it was
// stored, and settles it itself. Without it, JSON decoding fails and terms the dead letter (on a
// work-queue stream: deletes it); the reason then says how to fix the handler.

/** Not UTF-8, not JSON: what a broken publisher might put on a subject. */
const POISON = new Uint8Array([0xff, 0xfe, 0x00, 0x7b, 0x22]);
const text = new TextDecoder();

interface Seen {
  subject: string;
  bytes: Uint8Array;
  reason: string;
  original: string;
  stack?: string;
}
const seen = new Probe<Seen>();

@Controller()
class OrdersController {
  @JetStreamEvent('dlh.work.orders', { maxDeliver: 1, deadLetter: 'dlh.dead.orders' })
  onOrder(@Payload() order: { id: number }) {
    throw new Error(`order ${order.id} cannot be charged`);
  }

  @JetStreamEvent('dlh.work.audit', { maxDeliver: 1, deadLetter: 'dlh.jsondead.audit' })
  onAudit() {
    throw new Error('never reached for poison bytes');
  }
}

@Controller()
class DeadLetterController {
  // The documented pattern: raw bytes and the header contract, whatever the dead letter holds.
  @JetStreamEvent('dlh.dead.>', { deadLetter: false, codec: new RawCodec() })
  onDeadLetter(@Payload() bytes: Uint8Array, @Ctx() ctx: JetStreamContext) {
    const dl = readDeadLetter(ctx.getHeaders());
    seen.add({ subject: ctx.getSubject(), bytes, reason: dl?.reason ?? '', original: dl?.subject ?? '', stack: dl?.stack });
  }

  // The raw codec in an ordered handler: it reads the same stream beside the JSON handler below.
  @JetStreamEvent('dlh.jsondead.>', { mode: 'ordered', durable: 'dlh_ordered_raw', codec: new RawCodec() })
  onOrderedDeadLetter(@Payload() bytes: Uint8Array, @Ctx() ctx: JetStreamContext) {
    seen.add({ subject: ctx.getSubject(), bytes, reason: readDeadLetter(ctx.getHeaders())?.reason ?? '', original: 'ordered' });
  }

  // Without the raw codec: a poison dead letter cannot be decoded.
  @JetStreamEvent('dlh.jsondead.>', { deadLetter: false })
  onJsonDeadLetter() {
    throw new Error('never reached for poison bytes');
  }
}

@Module({ controllers: [OrdersController, DeadLetterController] })
class DeadLetterHandlerModule {}

describe('a dead-letter handler reads every dead letter (real nats-server)', () => {
  const h = new Harness();
  const work = uniqueName('DLH_WORK');
  const dead = uniqueName('DLH_DEAD');
  const jsonDead = uniqueName('DLH_JSONDEAD');
  const terminated: TerminatedMessageEvent[] = [];

  beforeAll(async () => {
    await h.start();
    const { strategy } = await h.app(DeadLetterHandlerModule, {
      serviceName: 'dlh',
      streams: [
        { name: work, subjects: ['dlh.work.>'] },
        // A work queue: what the dead-letter handler acks is gone, what it terms is gone too.
        { name: dead, subjects: ['dlh.dead.>'], retention: 'workqueue' },
        { name: jsonDead, subjects: ['dlh.jsondead.>'] },
      ],
      deadLetterAdvisories: false,
    });
    strategy.on('terminated', (e) => terminated.push(e));
  });
  afterAll(() => h.stop());

  it('hands undecodable bytes, published with the core client, through to the raw dead-letter handler unchanged', async () => {
    h.nc.publish('dlh.work.orders', POISON);
    await waitFor('the poison dead letter at the dead-letter handler', () => seen.seen.some((s) => s.reason.startsWith('DecodeError')));
    const got = seen.seen.find((s) => s.reason.startsWith('DecodeError'))!;
    expect(got.subject).toBe('dlh.dead.orders');
    expect(got.original).toBe('dlh.work.orders');
    expect([...got.bytes]).toEqual([...POISON]);
    expect(got.reason).toContain('Cannot decode message');
  });

  it('hands a failed JSON message to the same handler, which decodes it itself, with the stack of the failure', async () => {
    await h.js.publish('dlh.work.orders', JSON.stringify({ id: 7 }));
    await waitFor('the failed order at the dead-letter handler', () => seen.seen.some((s) => s.reason.includes('order 7 cannot be charged')));
    const got = seen.seen.find((s) => s.reason.includes('order 7 cannot be charged'))!;
    expect(JSON.parse(text.decode(got.bytes))).toEqual({ id: 7 });
    expect(got.stack).toMatch(/^Error: order 7 cannot be charged\n\s+at .*dead-letter-handler\.integration\.spec\.ts:\d+:\d+/);
  });

  it('settles what it read: the work-queue dead-letter stream is left empty, and nothing was terminated', async () => {
    await waitFor('both dead letters acked off the work queue', async () => (await h.jsm.streams.info(dead)).state.messages === 0 && seen.count() >= 2);
    expect(terminated.filter((e) => e.stream === dead)).toEqual([]);
  });

  it('without the raw codec, terms the poison dead letter, with a reason that says to use it', async () => {
    h.nc.publish('dlh.work.audit', POISON);
    await waitFor('the JSON dead-letter handler to term the poison dead letter', () => terminated.some((e) => e.stream === jsonDead));
    const event = terminated.find((e) => e.stream === jsonDead)!;
    expect(event.subject).toBe('dlh.jsondead.audit');
    expect(event.reason).toMatch(/^DecodeError: Cannot decode message \d+ on "dlh\.jsondead\.audit".*it is a dead letter.*codec: new RawCodec\(\)/);
    // The ordered handler with the raw codec read the same dead letter as it was.
    await waitFor('the ordered raw handler to read the poison dead letter', () => seen.seen.some((s) => s.original === 'ordered'));
    expect([...seen.seen.find((s) => s.original === 'ordered')!.bytes]).toEqual([...POISON]);
  });
});
