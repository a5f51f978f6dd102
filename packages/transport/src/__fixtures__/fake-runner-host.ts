// What a runner is handed (RunnerHost: its attempt pipeline's wiring, a dead-letter route, a reporter)
// without a server, and a handler binding with every default applied, for unit tests of the runners.
// Everything the runner reports is recorded.
import type { Consumer, PushConsumer } from '@nats-io/jetstream';
import type { HandlerBinding } from '../bindings/handler-binding.js';
import { JsonCodec } from '../codecs/json.codec.js';
import type { RunnerHost } from '../consuming/consumer-runner.js';
import type { DeadLetterRoute, SettleReporter } from '../consuming/attempt/attempt-wiring.js';
import type { DeadLetterEvent } from '../events/settle.events.js';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';
import type { ProcessingHooks } from '../consuming/processing-hooks.js';
import type { ConsumeObserver } from '../observability/instrumentation.interface.js';
import { CapturedLog } from './harness.js';
import { FakeConsumer } from './fake-consumer.js';

/** A binding as `resolveBindings` would make it: attempts 3, backoff 100/200 ms, concurrency 1, prefetch 2. */
export function fakeBinding(overrides: Partial<HandlerBinding> = {}): HandlerBinding {
  return {
    subject: 'orders.created',
    stream: 'ORDERS',
    durable: 'orders',
    mode: 'shared',
    inactiveThresholdMs: 0,
    ackWaitMs: 30_000,
    maxDeliver: 3,
    backoffMs: [100, 200],
    poisonErrors: [],
    maxAckPending: 100,
    concurrency: 1,
    prefetch: 2,
    deliverPolicy: 'all',
    manualAck: false,
    handlerTimeoutMs: 60_000,
    handler: () => Promise.resolve(undefined),
    invocation: 'pipeline',
    ...overrides,
  };
}

/** What the runner reported about a message it settled for good (term, dead letter, stranded). */
export interface HostReport {
  seq: number;
  reason: string;
  exhausted?: boolean;
  error?: unknown;
}

export class FakeRunnerHost implements RunnerHost {
  readonly logger = new CapturedLog();
  readonly codec = new JsonCodec();
  termReasonSupported = true;
  readonly redact = (text: string): string => text.replaceAll('s3cret', '***');
  readonly terminated: HostReport[] = [];
  /** Dead letters published (after their PubAck). */
  readonly deadLettered: HostReport[] = [];
  readonly stranded: HostReport[] = [];
  /** Set to make the next dead-letter publishes fail with this error. */
  deadLetterError?: Error;
  /** NestJS 12's processing hooks, when a test sets them (before the runner is made). */
  processingHooks?: ProcessingHooks;
  /** Metrics and tracing hooks, when a test sets them (before the runner is made). */
  consumeObserver?: ConsumeObserver;
  /** Calls of `consumerFor`: whether to recreate, and from where. */
  readonly consumerCalls: { recreate: boolean; resumeFrom?: number }[] = [];

  constructor(readonly consumer: Consumer | PushConsumer = new FakeConsumer()) {}

  /** The dead-letter router: records each dead letter, or fails with `deadLetterError`. */
  readonly deadLetters: DeadLetterRoute = {
    route: (b: HandlerBinding, ctx: JetStreamContext, reason: string, exhausted: boolean, error?: unknown): Promise<DeadLetterEvent> => {
      if (this.deadLetterError) return Promise.reject(this.deadLetterError);
      const info = ctx.getInfo();
      this.deadLettered.push({ seq: info.streamSequence, reason, exhausted, error });
      return Promise.resolve({
        subject: ctx.getSubject(),
        stream: info.stream,
        consumer: b.durable,
        streamSequence: info.streamSequence,
        deliveryCount: info.deliveryCount,
        reason,
        exhausted,
        deadLetterSubject: `dlq.${ctx.getSubject()}`,
        deadLetterStream: 'DLQ',
        deadLetterSequence: this.deadLettered.length,
        duplicate: false,
        via: 'handler',
        data: ctx.getMessage().data,
        headers: undefined as unknown as DeadLetterEvent['headers'],
      });
    },
  };

  readonly reporter: SettleReporter = {
    terminated: (ctx, reason, exhausted, error) => void this.terminated.push({ seq: ctx.getInfo().streamSequence, reason, exhausted, error }),
    stranded: (ctx, why) => void this.stranded.push({ seq: ctx.getInfo().streamSequence, reason: why }),
    deadLettered: (event) => this.logger.warn(`Dead-lettered message ${event.streamSequence}: ${event.reason}`),
  };

  consumerFor(_b: HandlerBinding, recreate: boolean, resumeFrom?: number): Promise<Consumer | PushConsumer> {
    this.consumerCalls.push({ recreate, resumeFrom });
    return Promise.resolve(this.consumer);
  }

  /** The messages logged at `level` that match `pattern`. */
  logged(level: 'log' | 'warn' | 'error', pattern: RegExp): string[] {
    return this.logger.lines.filter((l) => l.level === level && pattern.test(l.message)).map((l) => l.message);
  }
}

/** A promise settled from outside: a handler that finishes when the test says. */
export class Deferred<T = void> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (err: unknown) => void;
  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/**
 * Lets what is already due run: promise callbacks and `setImmediate` callbacks, a few rounds (the
 * runner flushes its acks on `setImmediate`, after the handler's promise). Real timers only.
 */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
