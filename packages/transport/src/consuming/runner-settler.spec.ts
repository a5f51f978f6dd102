import type { HandlerBinding } from '../bindings/handler-binding.js';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { fakeJsMsg, settlesOf, type FakeJsMsg } from '../__fixtures__/fake-js-msg.js';
import { FakeRunnerHost, fakeBinding, flush } from '../__fixtures__/fake-runner-host.js';
import { AttemptPipeline } from './attempt/attempt-pipeline.js';
import { RunnerSettler } from './runner-settler.js';

describe('RunnerSettler (fake messages, no server)', () => {
  let settler: RunnerSettler | undefined;
  afterEach(() => {
    settler?.stop();
    settler = undefined;
  });

  function make(overrides: Partial<HandlerBinding> = {}, who?: string) {
    const host = new FakeRunnerHost();
    const binding = fakeBinding(overrides);
    const held = new Set<JetStreamContext>();
    const s = new RunnerSettler(binding, host, new AttemptPipeline(binding, host), () => held, who);
    settler = s;
    const receive = (seq: number, deliveryCount = 1): { msg: FakeJsMsg; ctx: JetStreamContext } => {
      const msg = fakeJsMsg({ streamSequence: seq, deliveryCount });
      const ctx = s.received(msg);
      held.add(ctx);
      return { msg, ctx };
    };
    return { s, host, held, receive };
  }

  it('acks at the end of the event-loop turn, and settles a message once (the first settle wins)', async () => {
    const { s, receive } = make();
    const { msg, ctx } = receive(1);
    s.ack(ctx);
    s.nak(ctx);
    ctx.term();
    expect(settlesOf(msg)).toEqual([]);
    await flush();
    expect(settlesOf(msg)).toEqual([{ action: 'ack' }]);
    expect(ctx.settledWith).toBe('ack');
  });

  it("naks with the binding's backoff for the delivery, or the delay asked for", () => {
    const { s, receive } = make({ backoffMs: [100, 200] });
    const first = receive(1, 1);
    const second = receive(2, 2);
    const asked = receive(3, 1);
    s.nak(first.ctx);
    s.nak(second.ctx);
    asked.ctx.nak('2s');
    expect(settlesOf(first.msg)).toEqual([{ action: 'nak', delay: 100 }]);
    expect(settlesOf(second.msg)).toEqual([{ action: 'nak', delay: 200 }]);
    expect(settlesOf(asked.msg)).toEqual([{ action: 'nak', delay: 2_000 }]);
  });

  it("applies a decision: a nak is warned about with the runner's name, a term dead-letters first", async () => {
    const { s, host, receive } = make({ deadLetter: 'dlq.{subject}' }, 'Batch handler');
    const retried = receive(1);
    const dead = receive(2, 3);
    await s.settle(retried.ctx, { action: 'nak', delayMs: 100 }, new Error('db down'));
    await s.settle(dead.ctx, { action: 'term', reason: 'out of attempts', exhausted: true }, new Error('db down'));
    expect(settlesOf(retried.msg)).toEqual([{ action: 'nak', delay: 100 }]);
    expect(host.logged('warn', /^Batch handler for "orders.created" failed on attempt 1\/3 .*redelivery in 100 ms: .*db down/)).toHaveLength(1);
    expect(host.deadLettered).toEqual([expect.objectContaining({ seq: 2, reason: 'out of attempts', exhausted: true })]);
    expect(settlesOf(dead.msg)).toEqual([{ action: 'term', reason: 'dead-lettered: out of attempts' }]);
  });

  it("a handler's term(reason) is redacted and goes to the dead-letter route before the term", async () => {
    const { host, receive } = make({ deadLetter: 'dlq.{subject}' });
    const { msg, ctx } = receive(1);
    ctx.term('bad token s3cret');
    await ctx.pendingSettle;
    expect(host.deadLettered).toEqual([expect.objectContaining({ seq: 1, reason: 'bad token ***', exhausted: false })]);
    expect(settlesOf(msg)).toEqual([{ action: 'term', reason: 'dead-lettered: bad token ***' }]);
  });

  it('sweeps working() every ackWait/3 for held messages not touched since the last sweep', () => {
    jest.useFakeTimers();
    try {
      const { s, held, receive } = make({ ackWaitMs: 300 });
      const idle = receive(1);
      const busy = receive(2);
      s.start();
      jest.advanceTimersByTime(100);
      expect(idle.msg.settles.filter((x) => x.action === 'working')).toHaveLength(0);
      busy.ctx.working();
      jest.advanceTimersByTime(200);
      expect(idle.msg.settles.filter((x) => x.action === 'working').length).toBeGreaterThanOrEqual(1);
      held.delete(idle.ctx);
      const before = idle.msg.settles.length;
      jest.advanceTimersByTime(300);
      expect(idle.msg.settles).toHaveLength(before);
    } finally {
      settler?.stop();
      jest.useRealTimers();
    }
  });

  it('naks a message never started for shutdown, at once', () => {
    const { s, receive } = make();
    const { msg, ctx } = receive(1);
    s.nakUnstarted(ctx);
    expect(settlesOf(msg)).toEqual([{ action: 'nak', delay: undefined }]);
  });

  it('drain: past the timeout, warns and naks each unsettled held message once, marked abandoned; a settled one is left alone', async () => {
    const { s, host, receive } = make();
    const done = receive(1);
    const straggler = receive(2);
    s.ack(done.ctx);
    await s.drain(new Promise<void>(() => undefined), 10, () => 'A batch of 2 message(s) for "orders.created" was still running');
    expect(
      host.logged('warn', /^A batch of 2 message\(s\) for "orders.created" was still running after shutdownTimeout 10 ms: naked for redelivery$/),
    ).toHaveLength(1);
    expect(straggler.ctx.abandoned).toBe(true);
    expect(done.ctx.abandoned).toBeFalsy();
    expect(settlesOf(straggler.msg)).toEqual([{ action: 'nak', delay: 0 }]);
  });

  it('drain: what ends in time is not naked and nothing is warned', async () => {
    const { s, host, receive } = make();
    const { msg } = receive(1);
    await s.drain(Promise.resolve(), 60_000, () => 'never');
    expect(settlesOf(msg)).toEqual([]);
    expect(host.logged('warn', /shutdownTimeout/)).toEqual([]);
  });
});
