import type { JsMsg } from '@nats-io/jetstream';
import { bindingInfo, type HandlerBinding, type HandlerBindingInfo } from '../../bindings/handler-binding.js';
import { JetStreamContext, type MessageSettler } from '../../ctx-host/jetstream.context.js';
import { deliveryAttempt } from '../../nats-adapter/private-access.js';
import type { ConsumeObserver } from '../../observability/instrumentation.interface.js';
import { PinTracker } from '../../priority/pin-tracker.js';
import { describeError, nakDelay, type SettleDecision } from '../../settlement/settle-policy.js';
import { toMillis, type Duration } from '../../utils/duration.js';
import { AckLedger } from '../ack-ledger.js';
import { AttemptPipeline } from '../attempt/attempt-pipeline.js';
import type { RunnerHost } from '../consumer-runner.js';
import { MessagePuller } from '../message-puller.js';
import { runnerPullTarget } from '../runner-pull-target.js';
import { attemptBatch, type BatchDecision } from './batch-attempt.js';

/**
 * Runs a batch handler's consumer (`@JetStreamEvent(subject, { batch: { size, maxWait } })`): messages
 * are gathered until `size` arrived or `maxWait` passed since the first, then handed to the handler
 * together, one batch at a time. It never holds more than `size` messages (gathered, running, and
 * requested from the server: the prefetch window's cap is `size` and counts them all), so memory is
 * bounded by the batch. Held messages get `working()` every ackWait/3 until their batch settles.
 */
export class BatchRunner implements MessageSettler {
  private readonly puller: MessagePuller;
  private readonly ledger: AckLedger;
  private readonly pipeline: AttemptPipeline;
  private readonly observer?: ConsumeObserver;
  private readonly size: number;
  private readonly maxWaitMs: number;
  /** Every received, unsettled message: gathering or running. */
  private readonly held = new Set<JetStreamContext>();
  /** Received, waiting for their batch to be handed over. */
  private gathering: JetStreamContext[] = [];
  /** The batch the handler has now (one at a time). */
  private running?: Promise<void>;
  private runningSize = 0;
  private waitTimer?: NodeJS.Timeout;
  /** `maxWait` ran out while a batch was running: hand the next one over as soon as it ends. */
  private due = false;
  private tick = 0;
  private sweepTimer?: NodeJS.Timeout;
  private closing = false;

  readonly pin?: PinTracker;
  readonly info: HandlerBindingInfo;

  constructor(
    readonly binding: HandlerBinding,
    private readonly host: RunnerHost,
  ) {
    this.size = binding.batch!.size;
    this.maxWaitMs = binding.batch!.maxWaitMs;
    this.info = bindingInfo(binding);
    if (binding.priority?.policy === 'pinned_client') this.pin = new PinTracker();
    this.ledger = new AckLedger(binding.maxAckPending, (what, msg, err) =>
      host.logger.error?.(`Could not ${what} a message on "${msg.subject}" (later failures not logged): ${describeError(err)}`),
    );
    this.pipeline = new AttemptPipeline(binding, host);
    this.observer = host.consumeObserver;
    const held = () => this.held.size;
    const target = runnerPullTarget(binding, host, {
      resumePoint: () => this.ledger.resumePoint([...this.held].map((ctx) => ctx.getMessage())),
      // Everything held counts against the window: gathered and running messages alike.
      waiting: held,
      held,
      pinned: (id) => this.pin?.set(id),
    });
    this.puller = new MessagePuller({ ...target, maxMessages: this.size, initialWindow: this.size }, host.logger, (msg) => this.receive(msg));
  }

  /** Handler calls running now: 1 while a batch runs. */
  get runningHandlers(): number {
    return this.running ? 1 : 0;
  }

  /** Messages this instance holds now (gathering and running): never more than `batch.size`. */
  get heldMessages(): number {
    return this.held.size;
  }

  async start(): Promise<void> {
    await this.puller.start();
    const every = Math.max(Math.floor(this.binding.ackWaitMs / 3), 50);
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  /** Stops pulling, naks what is gathered, waits for the running batch up to `timeoutMs`, naks what it left unsettled. */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    clearTimeout(this.waitTimer);
    const stopped = this.puller.close();
    this.nakGathered();
    await stopped;
    this.nakGathered();
    const running = this.running;
    if (running) {
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([running.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs)))]);
      clearTimeout(timer);
      if (late) {
        this.host.logger.warn?.(
          `A batch of ${this.runningSize} message(s) for "${this.binding.subject}" was still running after shutdownTimeout ${timeoutMs} ms: naked for redelivery`,
        );
        for (const ctx of this.held) {
          if (ctx.settled) continue;
          ctx.abandoned = true;
          this.nak(ctx, 0);
        }
      }
    }
    clearInterval(this.sweepTimer);
    this.ledger.stop();
    this.held.clear();
  }

  // --- MessageSettler: what each message's JetStreamContext calls ------------------------------

  ack(ctx: JetStreamContext): void {
    if (ctx.settled) return;
    ctx.settled = 'ack';
    this.observer?.settled(ctx.observed, 'ack');
    this.ledger.ack(ctx.getMessage());
  }

  nak(ctx: JetStreamContext, delay?: Duration): void {
    if (ctx.settled) return;
    ctx.settled = 'nak';
    this.observer?.settled(ctx.observed, 'nak');
    const msg = ctx.getMessage();
    msg.nak(delay === undefined ? nakDelay(msg.info.deliveryCount, this.binding.backoffMs) : toMillis(delay, 'nak(delay)'));
    this.ledger.naked(msg);
  }

  /** From the handler: with a dead-letter route, this message goes there first (its own dead letter, its own headers). */
  term(ctx: JetStreamContext, reason?: string): void {
    if (ctx.settled) return;
    ctx.pendingSettle = this.finalize(ctx, reason === undefined ? 'terminated by the handler' : this.host.redact(reason), false);
  }

  working(ctx: JetStreamContext): void {
    if (ctx.settled) return;
    ctx.getMessage().working();
    ctx.touched = this.tick;
  }

  // --- internals ------------------------------------------------------------------------------

  private receive(msg: JsMsg): void {
    if (this.closing) {
      msg.nak();
      return;
    }
    const ctx = JetStreamContext.create(msg, this, this.tick);
    ctx.attempt = deliveryAttempt(msg);
    this.ledger.received(msg);
    if (this.observer) ctx.observed = this.observer.received(this.binding, ctx);
    this.held.add(ctx);
    this.gathering.push(ctx);
    if (this.gathering.length >= this.size) this.handOver();
    else if (this.gathering.length === 1) this.waitTimer = setTimeout(() => this.waited(), this.maxWaitMs);
  }

  private waited(): void {
    this.waitTimer = undefined;
    if (this.running) this.due = true;
    else this.handOver();
  }

  /** The gathered messages (at most `size`) go to the handler, unless a batch is running (then when it ends). */
  private handOver(): void {
    if (this.running || this.closing || this.gathering.length === 0) return;
    clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
    this.due = false;
    const batch = this.gathering.slice(0, this.size);
    this.gathering = this.gathering.slice(batch.length);
    this.runningSize = batch.length;
    this.running = this.run(batch).finally(() => this.ended(batch));
  }

  private ended(batch: readonly JetStreamContext[]): void {
    for (const ctx of batch) this.held.delete(ctx);
    this.running = undefined;
    this.runningSize = 0;
    if (this.closing) return;
    this.puller.resume();
    if (this.gathering.length >= this.size || this.due) this.handOver();
    else if (this.gathering.length > 0 && !this.waitTimer) this.waitTimer = setTimeout(() => this.waited(), this.maxWaitMs);
  }

  /** Never rejects: every outcome is a settle decision per message. */
  private async run(batch: readonly JetStreamContext[]): Promise<void> {
    let decisions: BatchDecision[];
    try {
      decisions = await attemptBatch(batch, this.binding, {
        codec: this.binding.codec ?? this.host.codec,
        redact: this.host.redact,
        handled: this.observer?.handled ? (ctx, error) => this.observer!.handled!(ctx.observed, error) : undefined,
      });
    } catch (err) {
      this.host.logger.error?.(`Batch handler for "${this.binding.subject}" could not run: ${describeError(err)}`);
      decisions = batch.map((ctx) => ({ ctx, decision: { action: 'nak', delayMs: 0 } satisfies SettleDecision }));
    }
    // A batch past shutdownTimeout was naked by close(): its late outcome settles nothing.
    const settles = decisions.filter((d) => !d.ctx.abandoned).map((d) => this.settle(d));
    const pending = batch.map((ctx) => ctx.pendingSettle).filter((p) => p !== undefined);
    for (const result of await Promise.allSettled([...settles, ...pending])) {
      if (result.status === 'rejected')
        this.host.logger.error?.(`Could not settle a message of a batch on "${this.binding.subject}": ${describeError(result.reason)}`);
    }
    if (this.binding.manualAck) this.warnUnsettled(batch);
  }

  private async settle({ ctx, decision, error }: BatchDecision): Promise<void> {
    switch (decision.action) {
      case 'ack':
        this.ack(ctx);
        return;
      case 'nak': {
        this.nak(ctx, decision.delayMs);
        const info = ctx.getMessage().info;
        this.pipeline.retryWarning(
          ctx,
          info.deliveryCount,
          (subject, failure) =>
            `Batch handler for "${subject}" failed on attempt ${info.deliveryCount}/${this.binding.maxDeliver} (stream ${info.stream} seq ${info.streamSequence}); redelivery in ${decision.delayMs} ms: ${failure || 'undefined'}`,
          error,
        );
        return;
      }
      case 'term':
        return this.finalize(ctx, decision.reason, decision.exhausted, error);
    }
  }

  private finalize(ctx: JetStreamContext, reason: string, exhausted: boolean, error?: unknown): Promise<void> {
    return this.pipeline.settleForGood(ctx, reason, exhausted, error, (msg) => this.ledger.naked(msg));
  }

  private warnUnsettled(batch: readonly JetStreamContext[]): void {
    const left = batch.filter((ctx) => !ctx.settled).length;
    if (left === 0) return;
    this.host.logger.warn?.(
      `Batch handler for "${this.binding.subject}" (manualAck) returned without settling ${left} of its ${batch.length} message(s): they will be redelivered after ackWait ${this.binding.ackWaitMs} ms`,
    );
  }

  private nakGathered(): void {
    clearTimeout(this.waitTimer);
    for (const ctx of this.gathering) {
      ctx.getMessage().nak();
      this.ledger.naked(ctx.getMessage());
      this.observer?.settled(ctx.observed, 'nak', 'shutdown');
      this.held.delete(ctx);
    }
    this.gathering = [];
  }

  /** Every ackWait/3: held messages untouched for a whole interval get `working()` (a gathering or running batch never reaches ackWait). */
  private sweep(): void {
    const tick = this.tick;
    for (const ctx of this.held) {
      if (ctx.touched < tick) {
        ctx.touched = tick + 1;
        this.ledger.working(ctx.getMessage());
      }
    }
    this.tick = tick + 1;
  }
}
