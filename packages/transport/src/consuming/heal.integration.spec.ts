import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { waitFor } from '@nest-jetstream/testing';
import { deleteConsumer, Harness, Probe, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';

// A consumer deleted while the app runs is put back where this process left off: what it already
// handled is not replayed, and what it had naked for redelivery is not lost.

const handled = new Probe<{ seq: number; delivery: number }>();

@Controller()
class HealController {
  @JetStreamEvent('heal.work', { backoff: ['3s'], maxDeliver: 3 })
  handle(@Payload() data: { failFirst?: boolean }, @Ctx() ctx: JetStreamContext) {
    const { streamSequence: seq, deliveryCount: delivery } = ctx.getInfo();
    handled.add({ seq, delivery });
    if (data.failFirst && delivery === 1 && !handled.seen.some((h) => h.seq === seq && h.delivery > 1)) throw new Error('first attempt fails');
  }
}

@Module({ controllers: [HealController] })
class HealModule {}

describe('a consumer deleted while the app runs (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('HEAL');

  beforeAll(async () => {
    await h.start();
    await h.jsm.streams.add({ name: stream, subjects: ['heal.>'] });
  });
  afterAll(() => h.stop());

  it('comes back from where this process left off: nothing replayed, nothing naked lost', async () => {
    await h.app(HealModule, { serviceName: 'heal' });
    const done: number[] = [];
    for (let i = 0; i < 20; i++) done.push((await h.js.publish('heal.work', JSON.stringify({ i }))).seq);
    await waitFor('the first 20 handled', () => done.every((s) => handled.seen.some((x) => x.seq === s)));
    // One more fails its first attempt and waits out a 3 s backoff while the consumer is gone.
    const { seq: naked } = await h.js.publish('heal.work', JSON.stringify({ failFirst: true }));
    await waitFor('its first, failed attempt', () => handled.seen.some((x) => x.seq === naked));
    await waitFor('the consumer to settle what it has', async () => (await h.jsm.consumers.info(stream, 'heal__heal_work')).num_ack_pending <= 1);
    await deleteConsumer(h.jsm, stream, 'heal__heal_work');
    await waitFor(
      'the consumer to be put back',
      () =>
        h.jsm.consumers.info(stream, 'heal__heal_work').then(
          () => true,
          () => false,
        ),
      { timeout: 20_000 },
    );
    const { seq: after } = await h.js.publish('heal.work', JSON.stringify({ after: true }));
    await waitFor('the message published after the heal', () => handled.seen.some((x) => x.seq === after), { timeout: 20_000 });
    await waitFor('the naked message redelivered after the heal', () => handled.seen.filter((x) => x.seq === naked).length >= 2, { timeout: 20_000 });
    // Nothing handled before the deletion came back.
    for (const seq of done) expect(handled.seen.filter((x) => x.seq === seq)).toHaveLength(1);
  });
});
