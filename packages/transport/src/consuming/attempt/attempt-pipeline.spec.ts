import { Observable } from 'rxjs';
import type { HandlerBinding } from '../../bindings/handler-binding.js';
import { DEFAULTS } from '../../constants.js';
import { JetStreamContext, type MessageSettler } from '../../ctx-host/jetstream.context.js';
import { JetStreamNotListeningError } from '../../errors/jetstream-transport.error.js';
import type { IdempotencyStore } from '../../interfaces/idempotency-store.interface.js';
import { msgIdKey } from '../../idempotency/idempotency-key.js';
import { MemoryIdempotencyStore } from '../../idempotency/memory-idempotency.store.js';
import type { Duration } from '../../utils/duration.js';
import { fakeJsMsg, settlesOf, type FakeJsMsg, type FakeJsMsgOptions } from '../../__fixtures__/fake-js-msg.js';
import { FakeRunnerHost, fakeBinding } from '../../__fixtures__/fake-runner-host.js';
import { AttemptPipeline, type AttemptResult, type AttemptSettlement } from './attempt-pipeline.js';
import { waitForResult } from './handler-result.js';

// The attempt pipeline alone (gate, decode, invoke, its settle step, finalize), with a settle step
// that records what it is asked; the runners' own specs cover how they apply the decisions.

/** What the pipeline asked of the runner's settle step, and the settles it made through the runner. */
class RecordingSettlement implements AttemptSettlement, MessageSettler {
  readonly afterRuns: { attempt: number; failed: boolean; error: unknown; ran: boolean }[] = [];
  readonly settled: string[] = [];
  constructor(readonly binding: HandlerBinding) {}
  afterRun(_ctx: JetStreamContext, attempt: number, failed: boolean, error: unknown, ran: boolean): AttemptResult | undefined {
    this.afterRuns.push({ attempt, failed, error, ran });
    return undefined;
  }
  ack(ctx: JetStreamContext): void {
    ctx.settled = 'ack';
    this.settled.push('ack');
  }
  nak(ctx: JetStreamContext, delay?: Duration): void {
    ctx.settled = 'nak';
    this.settled.push(`nak ${String(delay)}`);
  }
  term(ctx: JetStreamContext): void {
    ctx.settled = 'term';
    this.settled.push('term');
  }
  working(): void {}
}

function setUp(overrides: Partial<HandlerBinding>, handler: (data: unknown, ctx: JetStreamContext) => unknown) {
  const calls: unknown[] = [];
  const binding = fakeBinding({
    ...overrides,
    handler: ((data: unknown, ctx: JetStreamContext) => {
      calls.push(data);
      return handler(data, ctx);
    }) as HandlerBinding['handler'],
  });
  const host = new FakeRunnerHost();
  const pipeline = new AttemptPipeline(binding, host);
  const settlement = new RecordingSettlement(binding);
  const contextOf = (msg: FakeJsMsg) => JetStreamContext.create(msg, settlement);
  return { binding, host, pipeline, settlement, calls, contextOf };
}

/** A message whose header block cannot be parsed: nats.js throws on every read of `headers`. */
function unreadableHeaders(options: FakeJsMsgOptions = {}): FakeJsMsg {
  const msg = fakeJsMsg(options);
  Object.defineProperty(msg, 'headers', {
    get: () => {
      throw new Error("'bad name' is not a valid character in a header name");
    },
  });
  return msg;
}

describe('AttemptPipeline (no server)', () => {
  it('decodes, calls the handler once with the payload, and hands a success to the settle step', async () => {
    const { pipeline, settlement, calls, contextOf } = setUp({}, () => 'ok');
    const result = await pipeline.run(contextOf(fakeJsMsg({ data: { id: 7 } })), 1, settlement, true);
    expect(result).toBeUndefined();
    expect(calls).toEqual([{ id: 7 }]);
    expect(settlement.afterRuns).toEqual([{ attempt: 1, failed: false, error: undefined, ran: true }]);
  });

  it('waits for an Observable to complete before the settle step, and hands its error on as the failure', async () => {
    let emitted = 0;
    const { pipeline, settlement, contextOf } = setUp(
      {},
      (data) =>
        new Observable<number>((sub) => {
          setTimeout(() => {
            emitted++;
            sub.next(1);
            if ((data as { fail?: boolean }).fail) sub.error(new Error('stream broke'));
            else sub.complete();
          }, 5);
        }),
    );
    await pipeline.run(contextOf(fakeJsMsg()), 1, settlement, true);
    expect(emitted).toBe(1);
    await pipeline.run(contextOf(fakeJsMsg({ data: { fail: true } })), 2, settlement, true);
    expect(settlement.afterRuns.map((r) => [r.failed, (r.error as Error | undefined)?.message])).toEqual([
      [false, undefined],
      [true, 'stream broke'],
    ]);
  });

  it('redacts what a failing handler threw before the settle step (or any log) sees it', async () => {
    const { pipeline, settlement, contextOf } = setUp({}, () => Promise.reject(new Error('login s3cret refused')));
    await pipeline.run(contextOf(fakeJsMsg()), 1, settlement, true);
    expect(settlement.afterRuns).toEqual([{ attempt: 1, failed: true, error: expect.objectContaining({ message: 'login *** refused' }), ran: true }]);
  });

  it('terms a payload the codec cannot decode, for good, without calling the handler or the settle step', async () => {
    const { pipeline, settlement, calls, contextOf } = setUp({}, () => undefined);
    const result = await pipeline.run(contextOf(fakeJsMsg({ data: new TextEncoder().encode('{"a": nope') })), 1, settlement, true);
    expect(result?.decision).toEqual({
      action: 'term',
      exhausted: false,
      reason: expect.stringMatching(/^DecodeError: Cannot decode message 1 on "orders\.created": .*JSON/),
    });
    expect(calls).toEqual([]);
    expect(settlement.afterRuns).toEqual([]);
  });

  it('gates a delivery past maxDeliver (a consumer runner), and lets an ordered read count its own attempts', async () => {
    const { pipeline, settlement, calls, contextOf } = setUp({ maxDeliver: 3 }, () => undefined);
    const gated = await pipeline.run(contextOf(fakeJsMsg({ deliveryCount: 4 })), 4, settlement, true);
    expect(gated?.decision).toMatchObject({ action: 'term', exhausted: true, reason: expect.stringMatching(/delivery 4 exceeds maxDeliver 3/) });
    expect(calls).toEqual([]);
    await pipeline.run(contextOf(fakeJsMsg({ deliveryCount: 4 })), 1, settlement, false);
    expect(calls).toHaveLength(1);
  });

  describe('idempotency gate (msgId key)', () => {
    const idempotency = () => ({ store: new MemoryIdempotencyStore(), key: 'msgId' as const, keyOf: (ctx: JetStreamContext) => msgIdKey(ctx.getMessage()) });

    it('acks a recorded key without running the handler, and tells the settle step it did not run', async () => {
      const idem = idempotency();
      await idem.store.record('order-1');
      const { pipeline, settlement, calls, contextOf } = setUp({ idempotency: idem }, () => undefined);
      await pipeline.run(contextOf(fakeJsMsg({ headers: { 'Nats-Msg-Id': 'order-1' } })), 1, settlement, true);
      expect(calls).toEqual([]);
      expect(settlement.settled).toEqual(['ack']);
      expect(settlement.afterRuns).toEqual([{ attempt: 1, failed: false, error: undefined, ran: false }]);
    });

    it('settles for good a message whose header block cannot be read (no key can be made): no nak, no handler call', async () => {
      const { pipeline, settlement, calls, contextOf } = setUp({ idempotency: idempotency() }, () => undefined);
      const msg = unreadableHeaders({ streamSequence: 5 });
      const result = await pipeline.run(contextOf(msg), 1, settlement, true);
      expect(result?.decision).toEqual({
        action: 'term',
        exhausted: false,
        reason: expect.stringMatching(
          /^DecodeError: Cannot decode message 5 on "orders\.created": its header block cannot be read \(Error: .*not a valid character in a header name.*\), so its idempotency key cannot be made/,
        ),
      });
      expect(settlement.settled).toEqual([]);
      expect(calls).toEqual([]);
    });

    it('neither runs nor settles a message abandoned at its handlerTimeout while the store was asked', async () => {
      let answer!: (seen: boolean) => void;
      const slow: IdempotencyStore = { seen: () => new Promise<boolean>((resolve) => (answer = resolve)), record: () => Promise.resolve(true) };
      const { pipeline, settlement, calls, contextOf } = setUp({ idempotency: { ...idempotency(), store: slow } }, () => undefined);
      const ctx = contextOf(fakeJsMsg({ headers: { 'Nats-Msg-Id': 'order-2' } }));
      const running = pipeline.run(ctx, 1, settlement, true);
      // The handlerTimeout fires while store.seen() has not answered: the runner naks it and marks it abandoned.
      ctx.abandoned = true;
      answer(false);
      expect(await running).toBeUndefined();
      expect(calls).toEqual([]);
      expect(settlement.afterRuns).toEqual([]);
    });

    it('still naks with the backoff when the store fails (the key was made: the message is not poison)', async () => {
      const down: IdempotencyStore = { seen: () => Promise.reject(new Error('database down')), record: () => Promise.resolve(true) };
      const idem = { ...idempotency(), store: down };
      const { pipeline, settlement, calls, contextOf } = setUp({ idempotency: idem, backoffMs: [100, 200] }, () => undefined);
      const result = await pipeline.run(contextOf(fakeJsMsg()), 1, settlement, true);
      expect(settlement.settled).toEqual(['nak 100']);
      expect(result).toBeUndefined();
      expect(calls).toEqual([]);
    });
  });

  it('resolves nothing for an attempt abandoned at its handlerTimeout while it ran: its late result settles nothing', async () => {
    let finish!: () => void;
    const { pipeline, settlement, contextOf } = setUp({}, () => new Promise<void>((resolve) => (finish = resolve)));
    const ctx = contextOf(fakeJsMsg());
    const running = pipeline.run(ctx, 1, settlement, true);
    await new Promise<void>((resolve) => setImmediate(resolve));
    ctx.abandoned = true;
    finish();
    expect(await running).toBeUndefined();
    expect(settlement.afterRuns).toEqual([]);
  });

  describe('finalize', () => {
    it('hands a dead letter to the router it was given and reports it; refuses without a router', async () => {
      const { pipeline, host, contextOf } = setUp({ deadLetter: 'dlq.{subject}' }, () => undefined);
      await pipeline.deadLetter(contextOf(fakeJsMsg({ streamSequence: 3 })), 'bad order', false, undefined);
      expect(host.deadLettered).toEqual([{ seq: 3, reason: 'bad order', exhausted: false, error: undefined }]);
      expect(host.logged('warn', /Dead-lettered message 3: bad order/)).toHaveLength(1);
      const alone = new AttemptPipeline(fakeBinding({ deadLetter: 'dlq.x' }), { ...host, deadLetters: undefined, reporter: host.reporter });
      await expect(alone.deadLetter(contextOf(fakeJsMsg()), 'bad', false)).rejects.toBeInstanceOf(JetStreamNotListeningError);
    });

    it('terms on the server and reports it when there is no route; with a failing route, naks with the last backoff and reports it stranded on the last delivery', async () => {
      const { pipeline, host, contextOf } = setUp({}, () => undefined);
      const plain = fakeJsMsg({ streamSequence: 1 });
      await pipeline.settleForGood(contextOf(plain), 'bad order', false, undefined, () => undefined);
      expect(settlesOf(plain)).toEqual([{ action: 'term', reason: 'bad order' }]);
      expect(host.terminated).toEqual([{ seq: 1, reason: 'bad order', exhausted: false, error: undefined }]);

      const routed = setUp({ deadLetter: 'dlq.{subject}', backoffMs: [100, 200], maxDeliver: 3 }, () => undefined);
      routed.host.deadLetterError = new Error('no stream for dlq.orders.created');
      const naked: number[] = [];
      // The server's last delivery: a routed consumer's max_deliver is the handler's plus a few for the dead letter.
      const last = fakeJsMsg({ streamSequence: 9, deliveryCount: 3 + DEFAULTS.deadLetter.extraDeliveries });
      await routed.pipeline.settleForGood(routed.contextOf(last), 'failed', true, undefined, (m) => naked.push(m.info.streamSequence));
      expect(settlesOf(last)).toEqual([{ action: 'nak', delay: 200 }]);
      expect(naked).toEqual([9]);
      expect(routed.host.stranded).toEqual([{ seq: 9, reason: expect.stringMatching(/no stream for dlq/) }]);
    });
  });
});

describe('waitForResult (the one "await, then drain" of a handler\'s result)', () => {
  it('is undefined for a plain value, awaits a Promise, drains an Observable, and one a Promise resolves to', async () => {
    expect(waitForResult(42)).toBeUndefined();
    expect(waitForResult(undefined)).toBeUndefined();
    const seen: string[] = [];
    const later = (tag: string) => new Observable<void>((sub) => void setTimeout(() => (seen.push(tag), sub.complete()), 2));
    await waitForResult(Promise.resolve(1));
    await waitForResult(later('direct'));
    await waitForResult(Promise.resolve(later('resolved')));
    expect(seen).toEqual(['direct', 'resolved']);
    await expect(waitForResult(Promise.reject(new Error('no')))).rejects.toThrow('no');
  });
});
