import { waitFor } from '@nest-jetstream/testing';
import type { HandlerBinding } from '../bindings/handler-binding.js';
import { DEFAULTS } from '../constants.js';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamTermError } from '../errors/handler.errors.js';
import { FakeConsumer } from '../__fixtures__/fake-consumer.js';
import { fakeJsMsg, settlesOf, type FakeJsMsgOptions, type FakeJsMsg } from '../__fixtures__/fake-js-msg.js';
import { Deferred, FakeRunnerHost, fakeBinding, flush } from '../__fixtures__/fake-runner-host.js';
import { ConsumerRunner } from './consumer-runner.js';

type Handler = (data: unknown, ctx: JetStreamContext) => unknown;

/** A started runner on a fake consumer; `deliver` hands it a message as the server would. */
async function startRunner(overrides: Partial<HandlerBinding>, handler: Handler) {
  const consumer = new FakeConsumer();
  const host = new FakeRunnerHost(consumer);
  const runner = new ConsumerRunner(fakeBinding({ ...overrides, handler: handler as HandlerBinding['handler'] }), host);
  await runner.start();
  const deliver = (options: FakeJsMsgOptions = {}): FakeJsMsg => {
    const msg = fakeJsMsg(options);
    consumer.messages.deliver(msg);
    return msg;
  };
  return { runner, host, consumer, deliver };
}

class PaymentRefused extends Error {}

describe('ConsumerRunner settles each message (fake consumer, no server)', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });
  async function start(overrides: Partial<HandlerBinding>, handler: Handler) {
    const started = await startRunner(overrides, handler);
    close = () => started.runner.close(0);
    return started;
  }

  it('acks a message whose handler succeeds, once, and passes it the decoded payload', async () => {
    const seen: unknown[] = [];
    const { deliver } = await start({}, (data) => void seen.push(data));
    const msg = deliver({ data: { id: 7 } });
    await flush();
    expect(seen).toEqual([{ id: 7 }]);
    expect(settlesOf(msg)).toEqual([{ action: 'ack' }]);
  });

  it('naks a failed attempt with the backoff delay of that attempt, and logs it', async () => {
    const { deliver, host } = await start({ backoffMs: [100, 200] }, () => Promise.reject(new Error('database down')));
    const first = deliver({ deliveryCount: 1, streamSequence: 1 });
    const second = deliver({ deliveryCount: 2, streamSequence: 2 });
    await flush();
    expect(settlesOf(first)).toEqual([{ action: 'nak', delay: 100 }]);
    expect(settlesOf(second)).toEqual([{ action: 'nak', delay: 200 }]);
    expect(host.logged('warn', /attempt 1\/3 .*seq 1\); redelivery in 100 ms: .*database down/)).toHaveLength(1);
    expect(host.terminated).toEqual([]);
  });

  it('terms a message that fails its last attempt (no dead-letter route) and reports it as exhausted', async () => {
    const { deliver, host } = await start({ maxDeliver: 3 }, () => Promise.reject(new Error('database down')));
    const msg = deliver({ deliveryCount: 3, streamSequence: 9 });
    await flush();
    expect(settlesOf(msg)).toEqual([{ action: 'term', reason: expect.stringMatching(/failed on the last attempt \(3\/3\): .*database down/) }]);
    expect(host.terminated).toEqual([{ seq: 9, reason: expect.stringMatching(/last attempt/), exhausted: true, error: expect.any(Error) }]);
  });

  it('sends no term reason to a server older than 2.10.4 (it would ignore the whole term)', async () => {
    const { deliver, host } = await start({ maxDeliver: 1 }, () => Promise.reject(new Error('boom')));
    host.termReasonSupported = false;
    const msg = deliver();
    await flush();
    expect(settlesOf(msg)).toEqual([{ action: 'term', reason: undefined }]);
  });

  it("terms a poison error at the first attempt, without retrying: the library's and the handler's own classes", async () => {
    const { deliver, host } = await start({ poisonErrors: [PaymentRefused] }, (data) =>
      Promise.reject((data as { own?: boolean }).own ? new PaymentRefused('card refused') : new JetStreamTermError('bad order')),
    );
    const ours = deliver({ data: { own: false }, streamSequence: 1 });
    const own = deliver({ data: { own: true }, streamSequence: 2 });
    await flush();
    expect(settlesOf(ours)).toEqual([{ action: 'term', reason: expect.stringMatching(/bad order/) }]);
    expect(settlesOf(own)).toEqual([{ action: 'term', reason: expect.stringMatching(/card refused/) }]);
    expect(host.terminated.map((t) => t.exhausted)).toEqual([false, false]);
  });

  it('terms a payload the codec cannot decode, without calling the handler', async () => {
    let calls = 0;
    const { deliver, host } = await start({}, () => void calls++);
    const msg = deliver({ data: new TextEncoder().encode('{not json'), streamSequence: 4 });
    await flush();
    expect(calls).toBe(0);
    expect(settlesOf(msg)).toEqual([{ action: 'term', reason: expect.stringMatching(/decode/i) }]);
    expect(host.terminated).toMatchObject([{ seq: 4, exhausted: false }]);
  });

  it('settles a delivery past maxDeliver (its last attempt never settled) without running the handler again', async () => {
    let calls = 0;
    const { deliver, host } = await start({ maxDeliver: 3 }, () => void calls++);
    const msg = deliver({ deliveryCount: 4 });
    await flush();
    expect(calls).toBe(0);
    expect(settlesOf(msg)).toEqual([{ action: 'term', reason: expect.stringMatching(/never settled/) }]);
    expect(host.terminated).toMatchObject([{ exhausted: true }]);
  });

  it('redacts a credential the error quotes before it leaves in the term reason', async () => {
    const { deliver, host } = await start({ maxDeliver: 1 }, () => Promise.reject(new Error('login with s3cret refused')));
    const msg = deliver();
    await flush();
    expect(JSON.stringify(msg.settles)).not.toContain('s3cret');
    expect(JSON.stringify(host.terminated.map((t) => t.reason))).not.toContain('s3cret');
  });

  it('settles as the handler says: its own nak delay and its own term', async () => {
    const { deliver, host } = await start({}, (data, ctx) => ((data as { term?: boolean }).term ? ctx.term('not ours') : ctx.nak('2s')));
    const naked = deliver({ data: {}, streamSequence: 1 });
    const termed = deliver({ data: { term: true }, streamSequence: 2 });
    await flush();
    expect(settlesOf(naked)).toEqual([{ action: 'nak', delay: 2000 }]);
    expect(settlesOf(termed)).toEqual([{ action: 'term', reason: 'not ours' }]);
    expect(host.terminated).toMatchObject([{ seq: 2, reason: 'not ours', exhausted: false }]);
  });

  it("leaves a manualAck handler's message unsettled when it returns without settling, and says so", async () => {
    const { deliver, host } = await start({ manualAck: true }, () => undefined);
    const msg = deliver({ streamSequence: 5 });
    await flush();
    expect(settlesOf(msg)).toEqual([]);
    expect(host.logged('warn', /manualAck\) returned without settling message 5/)).toHaveLength(1);
  });

  describe('with a dead-letter route', () => {
    const route = { deadLetter: 'dead.{subject}', maxDeliver: 3, backoffMs: [100, 200] };

    it('publishes the dead letter, then terms the original with the reason', async () => {
      const { deliver, host } = await start(route, () => Promise.reject(new Error('database down')));
      const msg = deliver({ deliveryCount: 3, streamSequence: 11 });
      await flush();
      expect(host.deadLettered).toEqual([{ seq: 11, reason: expect.stringMatching(/last attempt.*database down/), exhausted: true, error: expect.any(Error) }]);
      expect(settlesOf(msg)).toEqual([{ action: 'term', reason: expect.stringMatching(/^dead-lettered: failed on the last attempt/) }]);
      expect(host.terminated).toEqual([]);
    });

    it('naks with the last backoff delay when the dead-letter publish fails, so the message stays in its stream', async () => {
      const { deliver, host } = await start(route, () => Promise.reject(new Error('database down')));
      host.deadLetterError = new Error('no responders');
      const msg = deliver({ deliveryCount: 3, streamSequence: 12 });
      await flush();
      expect(settlesOf(msg)).toEqual([{ action: 'nak', delay: 200 }]);
      expect(host.logged('error', /Could not dead-letter message 12 .*no responders.*retrying in 200 ms/)).toHaveLength(1);
      // Not the server's last delivery: the next one tries again.
      expect(host.stranded).toEqual([]);
    });

    it("reports the message stranded when the dead-letter publish fails on the server's last delivery", async () => {
      const { deliver, host } = await start(route, () => Promise.reject(new Error('database down')));
      host.deadLetterError = new Error('no responders');
      const lastServerDelivery = route.maxDeliver + DEFAULTS.deadLetter.extraDeliveries;
      const msg = deliver({ deliveryCount: lastServerDelivery, streamSequence: 13 });
      await flush();
      expect(settlesOf(msg)).toEqual([{ action: 'nak', delay: 200 }]);
      expect(host.stranded).toEqual([{ seq: 13, reason: expect.stringMatching(/no responders/) }]);
    });
  });

  describe('concurrency and prefetch', () => {
    it('runs at most `concurrency` handlers at once; the others wait their turn', async () => {
      const runs = new Map<number, Deferred>();
      const { deliver } = await start({ concurrency: 2, prefetch: 4 }, (_d, ctx) => {
        const d = new Deferred();
        runs.set(ctx.getInfo().streamSequence, d);
        return d.promise;
      });
      const msgs = [1, 2, 3].map((seq) => deliver({ streamSequence: seq }));
      await flush();
      expect([...runs.keys()]).toEqual([1, 2]);
      runs.get(1)!.resolve();
      await flush();
      expect([...runs.keys()]).toEqual([1, 2, 3]);
      expect(msgs.map((m) => settlesOf(m).length)).toEqual([1, 0, 0]);
    });

    it('asks the server for no more while received messages fill the prefetch window, and refills as handlers take them', async () => {
      const runs: Deferred[] = [];
      const { deliver, consumer } = await start({ concurrency: 1, prefetch: 2 }, () => {
        const d = new Deferred();
        runs.push(d);
        return d.promise;
      });
      const messages = consumer.messages;
      // The first pull is the window's first size: concurrency (1).
      expect(messages.pulls).toEqual([1]);
      deliver({ streamSequence: 1 });
      // Started at once and still running: nothing waits, and it finished nothing, so the window
      // stays 1 and the refill asks for 1.
      expect(messages.pulls).toEqual([1, 1]);
      deliver({ streamSequence: 2 });
      // Seq 2 waits for the busy handler: the window is full, no pull.
      expect(messages.pulls).toEqual([1, 1]);
      runs[0].resolve();
      await flush();
      // The handler took seq 2: the window is free again; the handlers finished one, half the
      // window, so it doubles to 2 (the cap, prefetch 2).
      expect(messages.pulls).toEqual([1, 1, 2]);
      deliver({ streamSequence: 3 });
      deliver({ streamSequence: 4 });
      expect(messages.pulls).toEqual([1, 1, 2]);
      // Never more asked at once than the cap.
      expect(Math.max(...messages.pulls)).toBeLessThanOrEqual(2);
      for (const run of runs) run.resolve();
      await flush();
    });
  });
});

describe('ConsumerRunner when its consumer is deleted (fake consumer, no server)', () => {
  it('asks the host to put it back from the lowest sequence it has not finished, naked ones included', async () => {
    const runs = new Map<number, Deferred>();
    const { runner, host, consumer, deliver } = await startRunner({ concurrency: 2 }, (_d, ctx) => {
      const seq = ctx.getInfo().streamSequence;
      if (seq === 3) return Promise.reject(new Error('retry me'));
      const d = new Deferred();
      runs.set(seq, d);
      return d.promise;
    });
    deliver({ streamSequence: 3 });
    await flush();
    deliver({ streamSequence: 5 });
    deliver({ streamSequence: 6 });
    runs.get(5)!.resolve();
    await flush();
    consumer.messages.notify({ type: 'consumer_deleted', code: 409, description: 'consumer deleted' });
    await waitFor('the consumer put back', () => host.consumerCalls.length === 2);
    // 3 was naked (not received again), 6 still runs: the new consumer starts at 3.
    expect(host.consumerCalls).toEqual([
      { recreate: false, resumeFrom: undefined },
      { recreate: true, resumeFrom: 3 },
    ]);
    runs.get(6)!.resolve();
    await runner.close(0);
  });
});

describe('ConsumerRunner handlerTimeout and close (fake timers)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('counts a handler past handlerTimeout as a failed attempt, gives its slot to the next, and ignores its late result', async () => {
    const runs: Deferred[] = [];
    const { runner, deliver, host } = await startRunner({ handlerTimeoutMs: 1000, concurrency: 1, backoffMs: [100] }, () => {
      const d = new Deferred();
      runs.push(d);
      return d.promise;
    });
    const slow = deliver({ streamSequence: 1 });
    const next = deliver({ streamSequence: 2 });
    await jest.advanceTimersByTimeAsync(990);
    expect(settlesOf(slow)).toEqual([]);
    expect(runs).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(20);
    expect(settlesOf(slow)).toEqual([{ action: 'nak', delay: 100 }]);
    expect(host.logged('warn', /seq 1\) ran past handlerTimeout 1000 ms/)).toHaveLength(1);
    expect(runner.timedOutRunning).toBe(1);
    // The next message got the slot.
    expect(runs).toHaveLength(2);
    runs[0].resolve();
    runs[1].resolve();
    await jest.advanceTimersByTimeAsync(10);
    expect(settlesOf(slow)).toEqual([{ action: 'nak', delay: 100 }]);
    expect(settlesOf(next)).toEqual([{ action: 'ack' }]);
    expect(runner.timedOutRunning).toBe(0);
    await runner.close(0);
  });

  it('terms a handler that times out on its last attempt', async () => {
    const { runner, deliver, host } = await startRunner({ handlerTimeoutMs: 500, maxDeliver: 2 }, () => new Promise(() => undefined));
    const msg = deliver({ deliveryCount: 2, streamSequence: 3 });
    await jest.advanceTimersByTimeAsync(510);
    expect(settlesOf(msg)).toEqual([{ action: 'term', reason: expect.stringMatching(/last attempt \(2\/2\).*handlerTimeout/) }]);
    expect(host.terminated).toMatchObject([{ seq: 3, exhausted: true }]);
    await runner.close(0);
  });

  it("keeps a long handler's message alive with working() while it runs", async () => {
    const run = new Deferred();
    const { runner, deliver } = await startRunner({ ackWaitMs: 3000, handlerTimeoutMs: 60_000 }, () => run.promise);
    const msg = deliver();
    await jest.advanceTimersByTimeAsync(6000);
    expect(msg.settles.filter((s) => s.action === 'working').length).toBeGreaterThanOrEqual(1);
    run.resolve();
    await jest.advanceTimersByTimeAsync(10);
    expect(settlesOf(msg)).toEqual([{ action: 'ack' }]);
    await runner.close(0);
  });

  it('close waits for a running handler that finishes within the timeout, and naks what was still queued', async () => {
    const run = new Deferred();
    const { runner, deliver } = await startRunner({ concurrency: 1, prefetch: 4 }, () => run.promise);
    const running = deliver({ streamSequence: 1 });
    const queued = deliver({ streamSequence: 2 });
    let closed = false;
    const closing = runner.close(5000).then(() => (closed = true));
    await jest.advanceTimersByTimeAsync(1000);
    expect(settlesOf(queued)).toEqual([{ action: 'nak', delay: undefined }]);
    expect(closed).toBe(false);
    run.resolve();
    await jest.advanceTimersByTimeAsync(10);
    await closing;
    expect(settlesOf(running)).toEqual([{ action: 'ack' }]);
  });

  it('close naks a handler still running at the timeout, logs it, and its late success settles nothing', async () => {
    const run = new Deferred();
    const { runner, deliver, host, consumer } = await startRunner({ concurrency: 1 }, () => run.promise);
    const msg = deliver({ streamSequence: 1 });
    const closing = runner.close(1000);
    await jest.advanceTimersByTimeAsync(1000);
    await closing;
    expect(settlesOf(msg)).toEqual([{ action: 'nak', delay: 0 }]);
    expect(host.logged('warn', /1 handler\(s\) for "orders.created" still running after shutdownTimeout 1000 ms/)).toHaveLength(1);
    run.resolve();
    await jest.advanceTimersByTimeAsync(10);
    expect(settlesOf(msg)).toEqual([{ action: 'nak', delay: 0 }]);
    // What arrives after close started (buffered by the client) is naked at once for another instance.
    const late = fakeJsMsg({ streamSequence: 2 });
    consumer.messages.deliver(late);
    expect(settlesOf(late)).toEqual([{ action: 'nak', delay: undefined }]);
    expect(consumer.messages.isClosed).toBe(true);
  });
});
