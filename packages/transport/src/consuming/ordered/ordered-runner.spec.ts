import { waitFor } from '@nest-jetstream/testing';
import type { HandlerBinding } from '../../bindings/handler-binding.js';
import type { JetStreamContext } from '../../ctx-host/jetstream.context.js';
import { JetStreamTermError } from '../../errors/handler.errors.js';
import { FakeConsumer } from '../../__fixtures__/fake-consumer.js';
import { fakeJsMsg, type FakeJsMsg, type FakeJsMsgOptions } from '../../__fixtures__/fake-js-msg.js';
import { Deferred, FakeRunnerHost, fakeBinding, flush } from '../../__fixtures__/fake-runner-host.js';
import { OrderedRunner, type OrderedRunOptions } from './ordered-runner.js';

type Handler = (data: unknown, ctx: JetStreamContext) => unknown;

/** An ordered runner on a fake consumer; `calls` lists each handler call as `seq#attempt`. */
async function startOrdered(overrides: Partial<HandlerBinding>, handler: Handler, options: Partial<OrderedRunOptions> = {}) {
  const consumer = new FakeConsumer('orders_ordered_1');
  // Something to read: a replay of an empty range would be done at start.
  consumer.numPending = 10;
  const host = new FakeRunnerHost(consumer);
  const calls: number[] = [];
  const binding = fakeBinding({
    ...overrides,
    handler: ((data: unknown, ctx: JetStreamContext) => {
      calls.push(ctx.getInfo().streamSequence);
      return handler(data, ctx);
    }) as HandlerBinding['handler'],
  });
  const runner = new OrderedRunner(binding, host, { consumer: () => Promise.resolve(consumer), onExhausted: 'stop', ...options });
  await runner.start();
  const deliver = (o: FakeJsMsgOptions = {}): FakeJsMsg => {
    const msg = fakeJsMsg(o);
    consumer.messages.deliver(msg);
    return msg;
  };
  return { runner, host, consumer, calls, deliver };
}

const failOn =
  (seqs: number[], error: () => Error = () => new Error('database down')): Handler =>
  (_d, ctx) =>
    seqs.includes(ctx.getInfo().streamSequence) ? Promise.reject(error()) : Promise.resolve();

describe('OrderedRunner (fake ordered consumer, no server)', () => {
  it('handles messages one at a time in stream order, and settles nothing on the server (no acks)', async () => {
    const runs: Deferred[] = [];
    const { runner, calls, deliver } = await startOrdered({ concurrency: 4 }, () => {
      const d = new Deferred();
      runs.push(d);
      return d.promise;
    });
    const msgs = [1, 2, 3].map((seq) => deliver({ streamSequence: seq }));
    await flush();
    expect(calls).toEqual([1]);
    expect(runner.runningHandlers).toBe(1);
    runs[0].resolve();
    await flush();
    expect(calls).toEqual([1, 2]);
    runs[1].resolve();
    await flush();
    runs[2].resolve();
    await flush();
    expect(calls).toEqual([1, 2, 3]);
    expect(runner.handled).toBe(3);
    expect(runner.lastSequence).toBe(3);
    expect(msgs.flatMap((m) => m.settles)).toEqual([]);
    await runner.close(0);
  });

  it('stops at a message that fails every attempt without a route: nothing after it runs, and it says where', async () => {
    const { runner, host, calls, deliver, consumer } = await startOrdered({ maxDeliver: 2, backoffMs: [1] }, failOn([2]));
    [1, 2, 3].forEach((seq) => deliver({ streamSequence: seq }));
    await waitFor('the read to stop', () => runner.stoppedAt !== undefined);
    expect(calls).toEqual([1, 2, 2]);
    expect(runner.stoppedAt).toEqual({ streamSequence: 2, subject: 'orders.created', reason: expect.stringMatching(/last attempt \(2\/2\).*database down/) });
    expect(host.terminated).toMatchObject([{ seq: 2, exhausted: true }]);
    expect(host.logged('error', /stopped at ORDERS #2/)).toHaveLength(1);
    // A message that arrives later is not read either.
    deliver({ streamSequence: 4 });
    await flush();
    expect(calls).toEqual([1, 2, 2]);
    expect(consumer.messages.isClosed).toBe(true);
    await runner.close(0);
  });

  it('a replay (`collect`) lists a message that fails every attempt and goes on', async () => {
    const { runner, host, calls, deliver } = await startOrdered({ maxDeliver: 1 }, failOn([2]), { onExhausted: 'collect' });
    [1, 2, 3].forEach((seq) => deliver({ streamSequence: seq }));
    await waitFor('every message read', () => runner.lastSequence === 3);
    expect(calls).toEqual([1, 2, 3]);
    expect(runner.failures).toEqual([{ streamSequence: 2, subject: 'orders.created', reason: expect.stringMatching(/database down/) }]);
    expect(runner.handled).toBe(2);
    expect(host.terminated).toEqual([]);
    await runner.close(0);
  });

  it('dead-letters a poison message at once (no retry) when it has a route, and reads on', async () => {
    const { runner, host, calls, deliver } = await startOrdered(
      { deadLetter: 'dead.{subject}', maxDeliver: 3 },
      failOn([1], () => new JetStreamTermError('bad order')),
    );
    [1, 2].forEach((seq) => deliver({ streamSequence: seq }));
    await waitFor('both read', () => runner.lastSequence === 2);
    expect(calls).toEqual([1, 2]);
    expect(host.deadLettered).toEqual([{ seq: 1, reason: expect.stringMatching(/bad order/), exhausted: false, error: expect.any(JetStreamTermError) }]);
    expect(runner.stoppedAt).toBeUndefined();
    await runner.close(0);
  });

  it('terms as exhausted when the handler naks its last attempt', async () => {
    const { runner, deliver } = await startOrdered({ maxDeliver: 1 }, (_d, ctx) => ctx.nak());
    deliver({ streamSequence: 1 });
    await waitFor('the read to stop', () => runner.stoppedAt !== undefined);
    expect(runner.stoppedAt?.reason).toMatch(/naked on the last attempt \(1\/1\)/);
    await runner.close(0);
  });

  it("drops what was stored before a start by time (the client may begin at the stream's first message)", async () => {
    const from = new Date('2026-01-02T00:00:00Z');
    const { runner, calls, deliver } = await startOrdered({}, () => undefined, { fromTime: from });
    deliver({ streamSequence: 1, timestamp: new Date('2026-01-01T00:00:00Z') });
    deliver({ streamSequence: 2, timestamp: new Date('2026-01-03T00:00:00Z') });
    await waitFor('the later message read', () => runner.lastSequence === 2);
    expect(calls).toEqual([2]);
    await runner.close(0);
  });

  it('a replay ends at `until` and resolves `done`', async () => {
    const { runner, calls, deliver } = await startOrdered({}, () => undefined, { until: 2, onExhausted: 'collect' });
    [1, 2, 3].forEach((seq) => deliver({ streamSequence: seq, pending: 5 }));
    await runner.done;
    await flush();
    expect(calls).toEqual([1, 2]);
    expect(runner.lastSequence).toBe(2);
    await runner.close(0);
  });

  it('a replay of an empty range is done at once', async () => {
    const consumer = new FakeConsumer();
    consumer.numPending = 0;
    const runner = new OrderedRunner(fakeBinding(), new FakeRunnerHost(consumer), {
      consumer: () => Promise.resolve(consumer),
      until: 10,
      onExhausted: 'collect',
    });
    await runner.start();
    await runner.done;
    expect(runner.lastSequence).toBe(0);
    await runner.close(0);
  });
});

describe('OrderedRunner retries and close (fake timers)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('retries a failed attempt in this process after the backoff delay, holding back later messages', async () => {
    let failures = 1;
    const { runner, host, calls, deliver } = await startOrdered({ backoffMs: [1000], maxDeliver: 3 }, () =>
      failures-- > 0 ? Promise.reject(new Error('database down')) : undefined,
    );
    [1, 2].forEach((seq) => deliver({ streamSequence: seq }));
    await jest.advanceTimersByTimeAsync(990);
    expect(calls).toEqual([1]);
    expect(host.logged('warn', /attempt 1\/3 .*seq 1\); retrying in 1000 ms, later messages wait: .*database down/)).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(20);
    expect(calls).toEqual([1, 1, 2]);
    expect(runner.handled).toBe(2);
    await runner.close(0);
  });

  it('keeps trying a failing dead-letter publish every last-backoff delay, and reads nothing after it meanwhile', async () => {
    const { runner, host, calls, deliver } = await startOrdered({ deadLetter: 'dead.{subject}', maxDeliver: 1, backoffMs: [500] }, failOn([1]));
    host.deadLetterError = new Error('no responders');
    [1, 2].forEach((seq) => deliver({ streamSequence: seq }));
    await jest.advanceTimersByTimeAsync(1200);
    expect(host.logged('error', /Could not dead-letter ordered message 1 .*no responders; retrying in 500 ms/)).toHaveLength(3);
    expect(calls).toEqual([1]);
    host.deadLetterError = undefined;
    await jest.advanceTimersByTimeAsync(500);
    expect(host.deadLettered).toMatchObject([{ seq: 1, exhausted: true }]);
    expect(calls).toEqual([1, 2]);
    await runner.close(0);
  });

  it('close waits up to its timeout for the running handler, then deletes its consumer', async () => {
    const run = new Deferred();
    const { runner, consumer, deliver } = await startOrdered({}, () => run.promise);
    deliver({ streamSequence: 1 });
    await jest.advanceTimersByTimeAsync(0);
    let closed = false;
    const closing = runner.close(1000).then(() => (closed = true));
    await jest.advanceTimersByTimeAsync(900);
    expect(closed).toBe(false);
    expect(consumer.deleted).toBe(false);
    await jest.advanceTimersByTimeAsync(100);
    await closing;
    expect(consumer.deleted).toBe(true);
    run.resolve();
  });

  it('close ends a retry pause at once', async () => {
    const { runner, calls, deliver } = await startOrdered({ backoffMs: [60_000] }, failOn([1]));
    deliver({ streamSequence: 1 });
    await jest.advanceTimersByTimeAsync(0);
    const closing = runner.close(5000);
    await jest.advanceTimersByTimeAsync(0);
    await closing;
    expect(calls).toEqual([1]);
  });
});
