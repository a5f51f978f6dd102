import { JetStreamApiCodes, JetStreamApiError, type Consumer, type JsMsg } from '@nats-io/jetstream';
import { waitFor } from '@nest-jetstream/testing';
import { FakeConsumer } from '../__fixtures__/fake-consumer.js';
import { fakeJsMsg } from '../__fixtures__/fake-js-msg.js';
import { flush } from '../__fixtures__/fake-runner-host.js';
import { CapturedLog } from '../__fixtures__/harness.js';
import { MessagePuller, type PullTarget } from './message-puller.js';

/** A puller on fake consumers: `consumers` hands out the next one on each (re)creation. */
function setup(options: { maxMessages?: number; ordered?: boolean; backlog?: () => boolean; lookUp?: () => Promise<Consumer> } = {}) {
  const logger = new CapturedLog();
  const received: JsMsg[] = [];
  const made: FakeConsumer[] = [];
  const calls: boolean[] = [];
  const target: PullTarget = {
    key: 'ORDERS/orders',
    maxMessages: options.maxMessages ?? 2,
    ordered: options.ordered,
    hasBacklog: options.backlog,
    consumer: (recreate) => {
      calls.push(recreate);
      if (!recreate && made.length > 0 && options.lookUp) return options.lookUp();
      if (!recreate && made.length > 0) return Promise.resolve(made.at(-1)!);
      const c = new FakeConsumer();
      made.push(c);
      return Promise.resolve(c);
    },
  };
  const puller = new MessagePuller(target, logger, (msg) => received.push(msg));
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

  it('holds the client\'s next pull while the target has a backlog, and sends it once when resumed', async () => {
    let backlog = true;
    const { puller, made } = setup({ backlog: () => backlog });
    await puller.start();
    const messages = made[0].messages;
    messages.topUp();
    messages.topUp();
    expect(messages.pulls).toEqual([2]);
    backlog = false;
    puller.resume();
    expect(messages.pulls).toEqual([2, 2]);
    // Nothing left waiting: a second resume sends nothing.
    puller.resume();
    expect(messages.pulls).toEqual([2, 2]);
    // Without a backlog the client's pull goes out at once.
    messages.topUp();
    expect(messages.pulls).toEqual([2, 2, 2]);
    await puller.close();
  });

  it('sends no pull once closing, not even one held back for the backlog', async () => {
    let backlog = true;
    const { puller, made } = setup({ backlog: () => backlog });
    await puller.start();
    const messages = made[0].messages;
    messages.topUp();
    await puller.close();
    backlog = false;
    puller.resume();
    messages.topUp();
    expect(messages.pulls).toEqual([2]);
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

  it('leaves an ordered consumer\'s deletion to the client (it recreates it itself)', async () => {
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
