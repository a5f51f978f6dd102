import type { Consumer, JsMsg } from '@nats-io/jetstream';
import type { DeadLetterEvent } from '../events/settle.events.js';
import type { MessageHandler } from '@nestjs/microservices';
import { resolveBinding } from '../bindings/resolve-bindings.js';
import type { HandlerBinding } from '../bindings/handler-binding.js';
import { JsonCodec } from '../codecs/json.codec.js';
import type { JetStreamEventOptions } from '../interfaces/jetstream-event-options.interface.js';
import type { IdempotencyStore } from '../interfaces/idempotency-store.interface.js';
import { ConsumerRunner, type RunnerHost } from './consumer-runner.js';

// handlerTimeout against the settle that follows a handler's return: a deadline that passes while
// the message is being dead-lettered or its idempotency key recorded must not settle it again.
// Plain objects for the consumer and its messages; fake timers for the clock.

/** A promise and its resolve, to hold a dead-letter publish or a store write for as long as a test wants. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** A delivered message that records every settle the runner makes on it. */
function message(seq: number, settles: string[]): JsMsg {
  const info = { stream: 'S', streamSequence: seq, deliveryCount: 1, pending: 0 };
  return {
    subject: 'a.b',
    data: new TextEncoder().encode('{}'),
    headers: undefined,
    reply: `$JS.ACK.S.s__a_b.1.${seq}.${seq}.0.0`,
    info,
    ack: () => settles.push(`ack ${seq}`),
    nak: () => settles.push(`nak ${seq}`),
    term: () => settles.push(`term ${seq}`),
    working: () => undefined,
  } as unknown as JsMsg;
}

function runnerWith(options: JetStreamEventOptions, handler: MessageHandler, deadLetter: () => Promise<void>, store?: IdempotencyStore) {
  const warnings: string[] = [];
  const settles: string[] = [];
  let deliver!: (msg: JsMsg) => void;
  const consumer = {
    isPushConsumer: () => false,
    consume: async ({ callback }: { callback: (m: JsMsg) => void }) => {
      deliver = callback;
      return { status: async function* () {}, close: async () => undefined, stop: () => undefined, closed: async () => undefined };
    },
  } as unknown as Consumer;
  const host: RunnerHost = {
    logger: { log: () => undefined, error: () => undefined, warn: (m: unknown) => void warnings.push(String(m)) },
    codec: new JsonCodec(),
    termReasonSupported: true,
    redact: (text) => text,
    // The dead-letter route, held by the test; the event it resolves is not read by the runner's report here.
    deadLetters: { route: async () => (await deadLetter(), { reason: '' } as DeadLetterEvent) },
    reporter: { terminated: () => undefined, deadLettered: () => undefined, stranded: () => undefined },
    consumerFor: async () => consumer,
  };
  const binding = {
    ...resolveBinding('a.b', options, handler, { serviceName: 's', deadLetterDefault: false, idempotencyStore: store }),
    stream: 'S',
  } as HandlerBinding;
  const runner = new ConsumerRunner(binding, host);
  return { runner, warnings, settles, deliver: (seq: number) => deliver(message(seq, settles)) };
}

describe('ConsumerRunner: handlerTimeout while a message is being settled (fake timers)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('a deadline passing during a slow dead-letter publish neither settles again nor counts the handler as timed out', async () => {
    const publish = gate();
    const t = runnerWith(
      { maxDeliver: 1, backoff: [], handlerTimeout: '100ms', deadLetter: 'dlq.a' },
      async () => {
        throw new Error('fails for good');
      },
      () => publish.promise,
    );
    await t.runner.start();
    t.deliver(1);
    // The handler failed at once; its dead letter is still being published when handlerTimeout passes.
    await jest.advanceTimersByTimeAsync(500);
    expect(t.warnings.filter((w) => w.includes('ran past handlerTimeout'))).toEqual([]);
    expect(t.runner.timedOutRunning).toBe(0);
    expect(t.runner.runningHandlers).toBe(1);
    publish.open();
    await jest.advanceTimersByTimeAsync(10);
    expect(t.settles).toEqual(['term 1']);
    expect(t.runner.runningHandlers).toBe(0);
    await t.runner.close(100);
  });

  it("a deadline passing while an idempotent handler's key is recorded does not nak the handled message", async () => {
    const write = gate();
    const store: IdempotencyStore = { seen: async () => false, record: async () => write.promise.then(() => true) };
    const t = runnerWith(
      { handlerTimeout: '100ms', idempotent: true },
      async () => undefined,
      async () => undefined,
      store,
    );
    await t.runner.start();
    t.deliver(1);
    await jest.advanceTimersByTimeAsync(500);
    write.open();
    await jest.advanceTimersByTimeAsync(10);
    expect(t.settles).toEqual(['ack 1']);
    expect(t.warnings.filter((w) => w.includes('ran past handlerTimeout'))).toEqual([]);
    await t.runner.close(100);
  });

  it('a handler that settled its message and then runs past handlerTimeout gives up its slot, and the message is not settled again', async () => {
    const hang = gate();
    const t = runnerWith(
      { manualAck: true, concurrency: 1, handlerTimeout: '100ms' },
      async (_data: unknown, ctx: unknown) => {
        (ctx as { ack(): void }).ack();
        await hang.promise;
      },
      async () => undefined,
    );
    await t.runner.start();
    t.deliver(1);
    t.deliver(2);
    await jest.advanceTimersByTimeAsync(150);
    // The first is acked once, never naked; its slot went to the second, which acked too.
    expect(t.settles).toEqual(['ack 1', 'ack 2']);
    expect(t.warnings.filter((w) => /ran past handlerTimeout.*already settled \(ack\)/.test(w))).toHaveLength(1);
    expect(t.warnings.filter((w) => /redelivery|counts as failed/.test(w))).toEqual([]);
    hang.open();
    await jest.advanceTimersByTimeAsync(10);
    expect(t.settles).toEqual(['ack 1', 'ack 2']);
    await t.runner.close(100);
  });
});
