import type { Consumer, JsMsg } from '@nats-io/jetstream';
import { JetStreamContext, type MessageSettler } from '../../ctx-host/jetstream.context.js';
import { decideAfterRun, describeError, nakDelay } from '../../settlement/settle-policy.js';
import { logFailure } from '../../settlement/error-detail.js';
import { toMillis, type Duration } from '../../utils/duration.js';
import { bindingInfo, type HandlerBinding, type HandlerBindingInfo } from '../../bindings/handler-binding.js';
import { MessagePuller } from '../message-puller.js';
import { HeadQueue } from '../head-queue.js';
import type { OrderedFailure } from '../../delivery/replay.types.js';
import type { RunnerHost } from '../consumer-runner.js';
import { recordHandled } from '../../idempotency/idempotent-call.js';
import { AttemptPipeline, type AttemptResult, type AttemptSettlement } from '../attempt/attempt-pipeline.js';

/** The outcome of a handled attempt, shared (no object per message). */
const HANDLED: AttemptResult = { decision: { action: 'ack' } };

/** Where an ordered read ends (a replay), and what it does with a message that fails every attempt. */
export interface OrderedRunOptions {
  /** The consumer to read: the client's ordered consumer, made fresh (it recreates itself after a gap). */
  consumer(): Promise<Consumer>;
  /** Stop after this stream sequence, or at the first message stored after this time. Default: never (a handler). */
  until?: number | Date;
  /**
   * A message that failed every attempt and has no dead-letter route: `'stop'` halts the reader at
   * it (a handler: nothing after it is read, readiness says where); `'collect'` records it and goes on (a replay).
   */
  onExhausted: 'stop' | 'collect';
  /** A start by time: messages stored before it are dropped (see `receive`). */
  fromTime?: Date;
}

/**
 * Runs an ordered-mode handler (or a replay): the client's ordered consumer reads the stream
 * strictly in order, without acks, and recreates itself from the last sequence seen after a gap,
 * a deletion or a reconnect. One message at a time: a failed attempt is retried in this process
 * after the handler's backoff, holding back every later message, up to `maxDeliver` attempts;
 * then the message is dead-lettered (its route) and the read goes on, or, with no route, the read
 * stops there (`'stop'`) or records it (`'collect'`). Nothing is skipped silently.
 */
export class OrderedRunner implements MessageSettler, AttemptSettlement {
  private readonly puller: MessagePuller;
  private readonly queue = new HeadQueue<JsMsg>();
  private busy = false;
  /** The ordered consumer's name on the server (the client renames it each time it recreates it). */
  private name?: string;
  private closing = false;
  private idle?: () => void;
  private consumer?: Consumer;
  /** Why the read stopped at a message, if it did. */
  stoppedAt?: OrderedFailure;
  readonly failures: OrderedFailure[] = [];
  handled = 0;
  /** Stream sequence of the last message handled (or dead-lettered). */
  lastSequence = 0;
  private finish!: () => void;
  /** Resolves when the read reached `until` or the end of the stream (a replay), stopped, or was closed. */
  readonly done = new Promise<void>((resolve) => (this.finish = resolve));
  readonly info: HandlerBindingInfo;
  private retry?: { timer: NodeJS.Timeout; resolve: () => void };
  /** The attempt under way, and how its handler settled it (a nak's delay, a term's reason, redacted); fields, not an object per attempt. */
  private currentCtx?: JetStreamContext;
  private currentNakDelayMs?: number;
  private currentTermReason?: string;
  private readonly pipeline: AttemptPipeline;

  constructor(
    readonly binding: HandlerBinding,
    private readonly host: RunnerHost,
    private readonly options: OrderedRunOptions,
  ) {
    this.info = bindingInfo(binding);
    this.pipeline = new AttemptPipeline(binding, host);
    const target = {
      key: `${binding.stream}/${binding.durable} (ordered)`,
      maxMessages: binding.prefetch,
      initialWindow: binding.concurrency,
      ordered: true,
      consumer: async () => {
        this.consumer = await options.consumer();
        this.name = (await this.consumer.info(true)).name;
        return this.consumer;
      },
      waiting: () => this.queue.size,
      held: () => this.queue.size + (this.busy ? 1 : 0),
      renamed: (name: string) => (this.name = name),
    };
    this.puller = new MessagePuller(target, host.logger, (msg) => this.receive(msg));
  }

  /** Handler calls running now (one at most: what `close()` waits for). */
  get runningHandlers(): number {
    return this.busy ? 1 : 0;
  }

  /** The name of the ordered consumer now on the server (it changes each time the client recreates it). */
  get consumerName(): string | undefined {
    return this.name;
  }

  async start(): Promise<void> {
    await this.puller.start();
    // A replay of a range with nothing in it: done at once.
    if (this.options.until !== undefined) {
      const info = await this.consumer!.info(true);
      if (info.num_pending === 0) this.end();
    }
  }

  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    if (this.retry) {
      clearTimeout(this.retry.timer);
      this.retry.resolve();
    }
    await this.puller.close();
    this.queue.takeAll();
    if (this.busy) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((r) => (this.idle = r)), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    }
    // Its inactive threshold would remove it too; an instance that stops cleanly leaves nothing behind.
    await this.consumer?.delete().catch(() => undefined);
    this.end();
  }

  // --- MessageSettler: an ordered consumer has no acks; a settle only says how the attempt ended --

  ack(ctx: JetStreamContext): void {
    ctx.settled ??= 'ack';
  }

  nak(ctx: JetStreamContext, delay?: Duration): void {
    if (ctx.settled) return;
    ctx.settled = 'nak';
    if (ctx === this.currentCtx) this.currentNakDelayMs = delay === undefined ? undefined : toMillis(delay, 'nak(delay)');
  }

  term(ctx: JetStreamContext, reason?: string): void {
    if (ctx.settled) return;
    ctx.settled = 'term';
    // Redacted once, where the reason is made.
    if (ctx === this.currentCtx) this.currentTermReason = reason === undefined ? undefined : this.host.redact(reason);
  }

  working(): void {
    // No ackWait to keep alive.
  }

  // --- internals ------------------------------------------------------------------------------

  private receive(msg: JsMsg): void {
    if (this.closing || this.stoppedAt) return;
    // The client recreates an ordered consumer from the last sequence it saw, or from the first
    // of the stream when it saw none yet: what precedes a start by time is not this handler's.
    const from = this.options.fromTime;
    if (from !== undefined && msg.info.timestampNanos / 1e6 < from.getTime()) return;
    this.queue.push(msg);
    if (!this.busy) void this.drain();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    while (!this.closing && !this.stoppedAt) {
      const msg = this.queue.shift();
      if (!msg) break;
      if (this.pastEnd(msg)) {
        this.end();
        break;
      }
      await this.handle(msg);
      if (this.options.until !== undefined && (msg.info.pending === 0 || this.atEnd(msg))) this.end();
      this.puller.resume();
    }
    this.busy = false;
    this.idle?.();
  }

  private pastEnd(msg: JsMsg): boolean {
    const until = this.options.until;
    if (until === undefined) return false;
    return typeof until === 'number' ? msg.info.streamSequence > until : msg.info.timestampNanos / 1e6 > until.getTime();
  }

  private atEnd(msg: JsMsg): boolean {
    return typeof this.options.until === 'number' && msg.info.streamSequence >= this.options.until;
  }

  /** Every attempt of one message, in this process, until it is handled, dead-lettered or given up. */
  private async handle(msg: JsMsg): Promise<void> {
    const { binding, host } = this;
    for (let attempt = 1; !this.closing; attempt++) {
      const ctx = JetStreamContext.create(msg, this);
      const observer = host.consumeObserver;
      if (observer) ctx.observed = observer.received(binding, ctx);
      this.currentCtx = ctx;
      this.currentNakDelayMs = this.currentTermReason = undefined;
      // Awaited only when it is a promise, as in ConsumerRunner: a synchronous handler waits no microtask.
      let outcome = this.pipeline.run(ctx, attempt, this, false);
      if (outcome instanceof Promise) outcome = await outcome;
      // Never undefined here: an ordered read has no handlerTimeout, and afterRun always decides.
      const { decision, error } = outcome ?? HANDLED;
      if (decision.action === 'ack') {
        observer?.settled(ctx.observed, 'ack');
        this.handled++;
        this.lastSequence = msg.info.streamSequence;
        return;
      }
      if (decision.action === 'nak') {
        observer?.settled(ctx.observed, 'nak');
        this.pipeline.retryWarning(
          ctx,
          attempt,
          (subject, failure) =>
            `Ordered handler for "${subject}" failed on attempt ${attempt}/${binding.maxDeliver} (stream ${binding.stream} seq ${msg.info.streamSequence}); retrying in ${decision.delayMs} ms, later messages wait${failure ? `: ${failure}` : ''}`,
          error,
        );
        await this.pause(decision.delayMs);
        continue;
      }
      await this.giveUp(ctx, decision.reason, decision.exhausted, error);
      return;
    }
  }

  /**
   * The pipeline's settle step: how the attempt ended (an ordered consumer settles nothing on the
   * server). Synchronous (no promise per message) unless an idempotency key is being recorded.
   */
  afterRun(ctx: JetStreamContext, attempt: number, failed: boolean, error: unknown, ran: boolean): AttemptResult | Promise<AttemptResult> {
    const { binding, host } = this;
    if (!ran) {
      // The idempotency gate: a recorded key (acked), or a store that failed (naked with the backoff, retried in process).
      return ctx.settled === 'ack' ? HANDLED : { decision: { action: 'nak', delayMs: this.currentNakDelayMs ?? nakDelay(attempt, binding.backoffMs) } };
    }
    if (!failed && binding.idempotency && (ctx.settled === undefined || ctx.settled === 'ack'))
      return recordHandled(this, ctx, host.logger, attempt).then(() => this.decided(ctx, attempt, failed, error));
    return this.decided(ctx, attempt, failed, error);
  }

  /** How an attempt that ran ended: as the handler settled it, else as the settle policy decides. */
  private decided(ctx: JetStreamContext, attempt: number, failed: boolean, error: unknown): AttemptResult {
    const binding = this.binding;
    if (ctx.settled === 'term') return { decision: { action: 'term', exhausted: false, reason: this.currentTermReason ?? 'terminated by the handler' }, error };
    if (ctx.settled === 'nak') {
      if (attempt >= binding.maxDeliver)
        return { decision: { action: 'term', exhausted: true, reason: `naked on the last attempt (${attempt}/${binding.maxDeliver})` }, error };
      return { decision: { action: 'nak', delayMs: this.currentNakDelayMs ?? nakDelay(attempt, binding.backoffMs) }, error };
    }
    // A success needs no object of its own.
    if (!failed) return HANDLED;
    return { decision: decideAfterRun(error, failed, attempt, binding, this.host.redact), error };
  }

  /** Attempts ran out (or the message is poison): dead-letter it and go on, else stop or record. `reason` comes redacted. */
  private async giveUp(ctx: JetStreamContext, reason: string, exhausted: boolean, error?: unknown): Promise<void> {
    const { binding, host } = this;
    const msg = ctx.getMessage();
    const failure: OrderedFailure = { streamSequence: msg.info.streamSequence, subject: msg.subject, reason };
    if (binding.deadLetter) {
      // The order is the point of this mode: no later message runs before this one is stored elsewhere.
      for (let pause = binding.backoffMs[binding.backoffMs.length - 1] ?? 1000; !this.closing;) {
        try {
          await this.pipeline.deadLetter(ctx, reason, exhausted, error);
          host.consumeObserver?.settled(ctx.observed, 'dead_letter', reason);
          this.lastSequence = failure.streamSequence;
          return;
        } catch (err) {
          host.logger.error?.(
            `Could not dead-letter ordered message ${failure.streamSequence} on "${failure.subject}": ${describeError(err)}; retrying in ${pause} ms, later messages wait`,
          );
          await this.pause(pause);
        }
      }
      return;
    }
    host.consumeObserver?.settled(ctx.observed, 'term', reason);
    if (this.options.onExhausted === 'collect') {
      this.failures.push(failure);
      this.lastSequence = failure.streamSequence;
      logFailure(host.logger, `Replay of "${failure.subject}": message ${failure.streamSequence} failed: ${reason}`, error);
      return;
    }
    this.stoppedAt = failure;
    host.logger.error?.(
      `Ordered handler for "${binding.subject}" stopped at ${binding.stream} #${failure.streamSequence}: ${reason}. No later message is read until the service restarts (it reads again from its start or checkpoint); give the handler a deadLetter route to set such messages aside instead.`,
    );
    // The terminated report logs the error with its stack.
    host.reporter.terminated(ctx, reason, exhausted, error);
    void this.puller.close();
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.retry = { timer: setTimeout(resolve, ms), resolve };
    }).finally(() => (this.retry = undefined));
  }

  private end(): void {
    this.finish();
  }
}
