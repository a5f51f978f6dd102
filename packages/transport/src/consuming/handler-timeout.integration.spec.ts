import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, Probe, uniqueName } from '../__fixtures__/harness.js';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import type { TerminatedMessageEvent } from '../events/settle.events.js';

// handlerTimeout fires at its value, whatever ackWait: it used to be checked every ackWait / 3,
// so a 1 s timeout with a 60 s ackWait fired after about 20 s.

const starts = new Probe<{ delivery: number; at: number }>();
/** Lets the hung handlers return once the test is done (they keep running after their timeout). */
let release: () => void = () => undefined;
const hung = new Promise<void>((resolve) => (release = resolve));

@Controller()
class HangingController {
  @JetStreamEvent('timeout.hang', { ackWait: '60s', handlerTimeout: '1s', maxDeliver: 2, backoff: ['100ms'], deadLetter: false })
  async hang(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    starts.add({ delivery: ctx.getInfo().deliveryCount, at: performance.now() });
    await hung;
  }
}

@Module({ controllers: [HangingController] })
class HangingModule {}

describe('handlerTimeout with a long ackWait (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('TIMEOUT');
  const terminated: { event: TerminatedMessageEvent; at: number }[] = [];

  beforeAll(async () => {
    await h.start();
    const { strategy } = await h.app(HangingModule, { serviceName: 'timeout', streams: [{ name: stream, subjects: ['timeout.>'] }] });
    strategy.on('terminated', (event) => terminated.push({ event, at: performance.now() }));
  });
  afterAll(async () => {
    release();
    await h.stop();
  });

  it('fails each attempt after about handlerTimeout, far below ackWait, and settles the message for good after the last', async () => {
    const { seq } = await h.js.publish('timeout.hang', '{}');
    await waitFor('the message terminated after two timed-out attempts', () => terminated.length === 1, { timeout: 20_000 });
    const [first, second] = starts.seen;
    expect(starts.seen.map((s) => s.delivery)).toEqual([1, 2]);
    // Attempt 1 timed out (then a 100 ms backoff): the redelivery came after about 1.1 s, not after ackWait (60 s) or ackWait / 3.
    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
    expect(second.at - first.at).toBeLessThan(10_000);
    // Attempt 2 timed out too: the message was settled as failed, for good (maxDeliver 2).
    expect(terminated[0].at - second.at).toBeGreaterThanOrEqual(950);
    expect(terminated[0].at - second.at).toBeLessThan(10_000);
    expect(terminated[0].event).toMatchObject({
      streamSequence: seq,
      deliveryCount: 2,
      exhausted: true,
      reason: expect.stringMatching(/handlerTimeout 1000 ms/),
    });
    // The terminate is sent after the event: await the server's count instead of reading it once.
    await waitFor('the consumer to hold nothing', async () => {
      const info = await h.jsm.consumers.info(stream, 'timeout__timeout_hang');
      return info.num_ack_pending + info.num_pending === 0;
    });
  });
});
