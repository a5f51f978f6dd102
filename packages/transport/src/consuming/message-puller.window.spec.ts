import { fakeJsMsg } from '../__fixtures__/fake-js-msg.js';
import { FakeConsumer } from '../__fixtures__/fake-consumer.js';
import { flush } from '../__fixtures__/fake-runner-host.js';
import { CapturedLog } from '../__fixtures__/harness.js';
import { MessagePuller } from './message-puller.js';

/**
 * A windowed puller on one fake consumer, on a stopped clock (no rate measured). `waiting` is
 * what the handlers have not started; they finish what they start at once (held = waiting).
 */
function windowed(options: { ordered?: boolean; waiting?: () => number } = {}) {
  const made: FakeConsumer[] = [];
  const lookUps: boolean[] = [];
  const waiting = options.waiting ?? (() => 0);
  const puller = new MessagePuller(
    {
      key: 'ORDERS/orders',
      maxMessages: 90,
      initialWindow: 4,
      ordered: options.ordered,
      waiting,
      held: waiting,
      consumer: (recreate) => {
        lookUps.push(recreate);
        if (made.length === 0) made.push(new FakeConsumer());
        return Promise.resolve(made[0]);
      },
    },
    new CapturedLog(),
    () => undefined,
    () => 0,
  );
  return { puller, made, lookUps, messages: () => made[0].messages };
}

/** The client resets its ordered consumer: reports it, recreates it (a round trip), says so and pulls, its count unchanged. */
async function clientResets(messages: ReturnType<ReturnType<typeof windowed>['messages']>): Promise<void> {
  messages.notify({ type: 'reset', name: 'orders_1' });
  await flush();
  messages.notify({ type: 'ordered_consumer_recreated', name: 'orders_2' });
  messages.topUp();
  await flush();
}

describe('MessagePuller: the prefetch window across resets and missed heartbeats (fake consumer)', () => {
  it("an idle ordered consumer's first pull after a reset asks for the window (what the dead consumer owed is not on its way)", async () => {
    const { puller, messages } = windowed({ ordered: true });
    await puller.start();
    // Idle: the whole window (4) is requested and nothing came.
    expect(messages().pulls).toEqual([4]);
    await clientResets(messages());
    // The client still counts 4 pending and offers 4 - 4 = 0; the window sends its 4, at once.
    expect(messages().pulls).toEqual([4, 4]);
    await puller.close();
  });

  it('after a reset, the window keeps its full size while messages flow (the stale count does not shrink it)', async () => {
    const { puller, messages } = windowed({ ordered: true });
    await puller.start();
    await clientResets(messages());
    expect(messages().pulls).toEqual([4, 4]);
    // One of the new consumer's 4 arrives and is finished: 3 are on their way, a quarter of the
    // window is free and the handlers kept up, so it doubles to 8 and tops up by 5, as without a reset.
    messages().deliver(fakeJsMsg());
    expect(messages().pulls).toEqual([4, 4, 5]);
    expect(puller.windowSize).toBe(8);
    // The client's count (stale 4 + 8 on their way) never made it stop offering.
    expect(messages().pending).toBe(12);
    await puller.close();
  });

  it('a first pull that came before the reset was seen is sent when the recreation is reported', async () => {
    const { puller, messages } = windowed({ ordered: true });
    await puller.start();
    // The client's pull to the new consumer reaches the window first: counted against the 4 still owed, held.
    messages().topUp();
    expect(messages().pulls).toEqual([4]);
    messages().notify({ type: 'reset', name: 'orders_1' });
    messages().notify({ type: 'ordered_consumer_recreated', name: 'orders_2' });
    await flush();
    expect(messages().pulls).toEqual([4, 4]);
    await puller.close();
  });

  it('once the client zeroes its count (after missed heartbeats), nothing of it is taken as stale', async () => {
    const { puller, messages } = windowed({ ordered: true });
    await puller.start();
    await clientResets(messages());
    // The client zeroes what it counts (both requests expired) and pulls its max_messages: the window sends 4.
    messages().pending = 0;
    messages().topUp();
    expect(messages().pulls).toEqual([4, 4, 4]);
    // One arrives: 3 counted on their way, all real. The window doubles to 8 and tops up by 5, not by more.
    messages().deliver(fakeJsMsg());
    expect(messages().pulls).toEqual([4, 4, 4, 5]);
    await puller.close();
  });

  it('does not look the consumer up on missed heartbeats while the window holds the pull back (the client does)', async () => {
    let waiting = 0;
    const { puller, messages, lookUps } = windowed({ waiting: () => waiting });
    await puller.start();
    for (let i = 0; i < 4; i++) {
      waiting++;
      messages().deliver(fakeJsMsg());
    }
    // 4 wait for a handler: the window holds the client's refill, so no pull is out and no heartbeat comes.
    expect(messages().pulls).toEqual([4]);
    messages().notify({ type: 'heartbeats_missed', count: 2 });
    await flush();
    expect(lookUps).toEqual([false]);
    // Handlers take and finish them: the pull goes out (the window doubled); missed heartbeats now are news, and are looked into.
    waiting = 0;
    puller.resume();
    expect(messages().pulls).toEqual([4, 8]);
    messages().notify({ type: 'heartbeats_missed', count: 2 });
    await flush();
    expect(lookUps).toEqual([false, false]);
    await puller.close();
  });
});
