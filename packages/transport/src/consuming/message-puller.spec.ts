import { JetStreamApiCodes, JetStreamApiError, type Consumer, type JsMsg } from '@nats-io/jetstream';
import { waitFor } from '@nest-jetstream/testing';
import { FakeConsumer } from '../__fixtures__/fake-consumer.js';
import { fakeJsMsg } from '../__fixtures__/fake-js-msg.js';
import { flush } from '../__fixtures__/fake-runner-host.js';
import { CapturedLog } from '../__fixtures__/harness.js';
import { MessagePuller } from './message-puller.js';
import type { PullTarget } from './pull-target.js';

/** A puller on fake consumers: `consumers` hands out the next one on each (re)creation. */
function setup(
  options: {
    maxMessages?: number;
    initialWindow?: number;
    ordered?: boolean;
    waiting?: () => number;
    held?: () => number;
    lookUp?: () => Promise<Consumer>;
    /** The puller's clock (default: stopped at 0, so no rate is measured and the tests do not depend on how fast they run). */
    clock?: () => number;
  } = {},
) {
  const logger = new CapturedLog();
  const received: JsMsg[] = [];
  const made: FakeConsumer[] = [];
  const calls: boolean[] = [];
  const target: PullTarget = {
    key: 'ORDERS/orders',
    maxMessages: options.maxMessages ?? 2,
    initialWindow: options.initialWindow,
    ordered: options.ordered,
    waiting: options.waiting,
    held: options.held,
    consumer: (recreate) => {
      calls.push(recreate);
      if (!recreate && made.length > 0 && options.lookUp) return options.lookUp();
      if (!recreate && made.length > 0) return Promise.resolve(made.at(-1)!);
      const c = new FakeConsumer();
      made.push(c);
      return Promise.resolve(c);
    },
  };
  const puller = new MessagePuller(target, logger, (msg) => received.push(msg), options.clock ?? (() => 0));
  return { puller, logger, received, made, calls };
}

const consumerNotFound = () => new JetStreamApiError({ code: 404, err_code: JetStreamApiCodes.ConsumerNotFound, description: 'consumer not found' });

describe('MessagePuller (fake consumer, no server)', () => {
  it('consumes with a callback, asking for `maxMessages` per pull, and hands every message over', async () => {
    const { puller, made, received } = setup({ maxMessages: 3 });
    await puller.start();
    const messages = made[0].messages;
    expect(made[0].consumes[0].options).toMatchObject({ max_messages: 3 });
    expect(messages.pulls).toEqual([3]);
    const msg = fakeJsMsg();
    messages.deliver(msg);
    expect(received).toEqual([msg]);
    await puller.close();
  });

  it('without a window (no `held`), lets every pull of the client through', async () => {
    const { puller, made } = setup({ maxMessages: 3 });
    await puller.start();
    const messages = made[0].messages;
    expect(made[0].consumes[0].options).not.toHaveProperty('threshold_messages');
    messages.deliver(fakeJsMsg());
    messages.deliver(fakeJsMsg());
    // Below the client's 75 % threshold (2 of 3) it tops up to 3 after each message.
    expect(messages.pulls).toEqual([3, 1, 1]);
    await puller.close();
  });

  it('first pulls its initial window, then the client offers a refill after every message and the window decides', async () => {
    const { puller, made } = setup({ maxMessages: 90, initialWindow: 4, waiting: () => 0, held: () => 0 });
    await puller.start();
    // The client offers a refill after every message, whatever it counts as pending.
    expect(made[0].consumes[0].options).toMatchObject({ max_messages: 4, threshold_messages: Number.MAX_SAFE_INTEGER });
    const messages = made[0].messages;
    expect(messages.pulls).toEqual([4]);
    // 1 of 4 arrived and finished (held() is 0): a quarter of the window is free and the handlers
    // kept up, so the window doubles to 8 and the refill fills it (3 requested + 5).
    messages.deliver(fakeJsMsg());
    expect(messages.pulls).toEqual([4, 5]);
    expect(puller.windowSize).toBe(8);
    // The next one leaves 7 of 8 in the window: more than 3/4, no pull.
    messages.deliver(fakeJsMsg());
    expect(messages.pulls).toEqual([4, 5]);
    await puller.close();
  });

  it('grows the window while handlers keep up (messages are started and finished as they come), up to the cap', async () => {
    const { puller, made } = setup({ maxMessages: 40, initialWindow: 2, waiting: () => 0, held: () => 0 });
    await puller.start();
    const messages = made[0].messages;
    for (let i = 0; i < 8; i++) messages.deliverPending(() => fakeJsMsg());
    expect(puller.windowSize).toBe(40);
    expect(Math.max(...messages.pulls)).toBeLessThanOrEqual(40);
    // The client's own count of what it requested never exceeds the window.
    expect(messages.pending).toBeLessThanOrEqual(40);
    await puller.close();
  });

  it('holds the pull while received messages fill the window (handlers are busy) and sends it when a handler takes one', async () => {
    let taken = 0;
    // The handlers take `taken` of what arrived and finish none.
    const got: JsMsg[] = [];
    const { puller, made } = setup({ maxMessages: 10, initialWindow: 4, waiting: () => got.length - taken, held: () => got.length });
    const messages = () => made[0].messages;
    await puller.start();
    for (let i = 0; i < 4; i++) {
      const msg = fakeJsMsg();
      got.push(msg);
      messages().deliver(msg);
    }
    // All 4 wait (or are on their way): the window is full, no pull.
    expect(messages().pulls).toEqual([4]);
    // A handler takes one: a quarter of the window is free, the held pull goes out, for 1; not
    // grown, since the handlers finished nothing.
    taken = 1;
    puller.resume();
    expect(messages().pulls).toEqual([4, 1]);
    expect(puller.windowSize).toBe(4);
    // Nothing held back any more: another resume sends nothing.
    puller.resume();
    expect(messages().pulls).toEqual([4, 1]);
    await puller.close();
  });

  it('sends no pull once closing, not even one held back by the window', async () => {
    let waiting = 4;
    const { puller, made } = setup({ maxMessages: 10, initialWindow: 4, waiting: () => waiting, held: () => waiting });
    await puller.start();
    const messages = made[0].messages;
    for (let i = 0; i < 4; i++) messages.deliver(fakeJsMsg());
    await puller.close();
    waiting = 0;
    puller.resume();
    messages.topUp();
    expect(messages.pulls).toEqual([4]);
    expect(messages.isClosed).toBe(true);
  });

  it('puts a deleted consumer back and consumes it again, and says so', async () => {
    const { puller, made, calls, logger, received } = setup();
    await puller.start();
    made[0].messages.notify({ type: 'consumer_deleted', code: 409, description: 'consumer deleted' });
    await waitFor('a second consume', () => made[1]?.consumes.length === 1);
    expect(calls).toEqual([false, true]);
    expect(made[0].messages.isStopped).toBe(true);
    const msg = fakeJsMsg({ streamSequence: 5 });
    made[1].messages.deliver(msg);
    expect(received).toEqual([msg]);
    expect(logger.matching(/Consumer ORDERS\/orders disappeared from the server; putting it back/)).toHaveLength(1);
    await waitFor('the "is back" line', () => logger.matching(/Consumer ORDERS\/orders is back/).length === 1);
    await puller.close();
  });

  it('after missed heartbeats, looks the consumer up and puts it back only when the server says it is gone', async () => {
    let answer: 'there' | 'timeout' | 'gone' = 'there';
    const lookUp = () => (answer === 'there' ? Promise.resolve(made[0]) : Promise.reject(answer === 'gone' ? consumerNotFound() : new Error('timeout')));
    const { puller, made, calls } = setup({ lookUp });
    await puller.start();
    made[0].messages.notify({ type: 'heartbeats_missed', count: 2 });
    await waitFor('the look-up', () => calls.length === 2);
    // A look-up that fails for another reason (a timeout) is no proof the consumer is gone.
    answer = 'timeout';
    made[0].messages.notify({ type: 'heartbeats_missed', count: 2 });
    await waitFor('the second look-up', () => calls.length === 3);
    await flush();
    expect(made).toHaveLength(1);
    answer = 'gone';
    made[0].messages.notify({ type: 'heartbeats_missed', count: 2 });
    await waitFor('the consumer put back', () => made.length === 2);
    expect(calls).toEqual([false, false, false, false, true]);
    await puller.close();
  });

  it.each([false, true])('asks for idle heartbeats within the pull it goes with (ordered: %s): never longer than its expiry', async (ordered) => {
    const { puller, made } = setup({ ordered });
    await puller.start();
    const { expires, idle_heartbeat } = made[0].consumes[0].options as { expires: number; idle_heartbeat: number };
    expect(idle_heartbeat).toBeGreaterThan(0);
    expect(idle_heartbeat).toBeLessThan(expires);
    await puller.close();
  });

  it("leaves an ordered consumer's deletion to the client (it recreates it itself)", async () => {
    const { puller, made, calls } = setup({ ordered: true });
    await puller.start();
    made[0].messages.notify({ type: 'consumer_deleted', code: 409, description: 'consumer deleted' });
    await flush();
    expect(calls).toEqual([false]);
    expect(made[0].messages.isStopped).toBe(false);
    await puller.close();
  });

  it('keeps trying to put the consumer back while the server refuses, logging each failure', async () => {
    const logger = new CapturedLog();
    const made: FakeConsumer[] = [];
    let refusals = 1;
    const puller = new MessagePuller(
      {
        key: 'ORDERS/orders',
        maxMessages: 2,
        consumer: (recreate) => {
          if (recreate && refusals-- > 0) return Promise.reject(new Error('stream offline'));
          made.push(new FakeConsumer());
          return Promise.resolve(made.at(-1)!);
        },
      },
      logger,
      () => undefined,
    );
    await puller.start();
    made[0].messages.notify({ type: 'consumer_not_found', stream: 'ORDERS', name: 'orders', count: 1 });
    await waitFor('the consumer put back after one refusal', () => made.length === 2);
    expect(logger.matching(/Could not put back consumer ORDERS\/orders: .*stream offline.*retrying in 100 ms/)).toHaveLength(1);
    await puller.close();
  });
});
