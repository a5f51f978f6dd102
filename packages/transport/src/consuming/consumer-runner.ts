import type { LeaderGuard } from '../connection/leader-guard.js';
import type { Consumer, JsMsg, PushConsumer } from '@nats-io/jetstream';
import { JetStreamContext, type MessageSettler } from '../ctx-host/jetstream.context.js';
import { HandlerTimeoutError } from '../errors/handler.errors.js';
import { decideAfterRun, describeError, nakDelay, type SettleDecision } from '../settlement/settle-policy.js';
import { deliveryAttempt } from '../nats-adapter/private-access.js';
import { toMillis, type Duration } from '../utils/duration.js';
import { bindingInfo, type HandlerBinding, type HandlerBindingInfo } from '../bindings/handler-binding.js';
import { MessagePuller } from './message-puller.js';
import { AckLedger } from './ack-ledger.js';
import { HandlerDeadlines } from './handler-deadlines.js';
import { HeadQueue } from './head-queue.js';
import type { ConsumeObserver } from '../observability/instrumentation.interface.js';
import { recordHandled } from '../idempotency/idempotent-call.js';
import { AttemptPipeline, type AttemptSettlement, type Outcome } from './attempt/attempt-pipeline.js';
import type { AttemptWiring } from './attempt/attempt-wiring.js';
import { PinTracker } from '../priority/pin-tracker.js';
import { runnerPullTarget } from './runner-pull-target.js';

/** What a runner is handed when it is made: its attempt pipeline's wiring, and where its consumer is. */
export interface RunnerHost extends AttemptWiring {
  /** The consumer to pull from; with `recreate`, first put it back on the server (it was deleted). */
  consumerFor(binding: HandlerBinding, recreate: boolean, resumeFrom?: number): Promise<Consumer | PushConsumer>;
  /** Moves the connection off a server that lost the consumer's leader (connection/leader-guard.ts). */
  readonly leaderGuard?: LeaderGuard;
}

/**
 * Runs one handler's consumer, pulled or pushed (any mode but ordered): at most `concurrency`
 * handlers at once (the rest queue locally, about a second of work, never above `prefetch`),
 * long runs kept alive with `working()` until `handlerTimeout` (at its value, whatever `ackWait`),
 * each message settled: ack, nak with backoff, or for good (dead letter, else term).
 */
export class ConsumerRunner implements MessageSettler, AttemptSettlement {
  private readonly puller: MessagePuller;
  private readonly queue = new HeadQueue<JetStreamContext>();
  private running = 0;
  /** Every received, unsettled message (queued or running). */
  private readonly unsettled = new Set<JetStreamContext>();
  private readonly ledger: AckLedger;
  /** Handlers abandoned after `handlerTimeout` that have not returned yet (they run outside `concurrency`). */
  private readonly outlived = new Set<JetStreamContext>();
  private tick = 0;
  private sweepTimer?: NodeJS.Timeout;
  private readonly deadlines: HandlerDeadlines<JetStreamContext>;
  private closing = false;
  private idle?: () => void;
  private readonly pipeline: AttemptPipeline;
  private readonly observer?: ConsumeObserver;

  /** A singleton handler's pin, as this instance knows it. */
  readonly pin?: PinTracker;
  /** What `server.bindings` shows of this handler. */
  readonly info: HandlerBindingInfo;

  constructor(
    readonly binding: HandlerBinding,
    private readonly host: RunnerHost,
  ) {
    this.info = bindingInfo(binding);
    if (binding.priority?.policy === 'pinned_client') this.pin = new PinTracker();
    this.ledger = new AckLedger(binding.maxAckPending, (what, msg, err) =>
      host.logger.error?.(`Could not ${what} a message on "${msg.subject}" (later failures not logged): ${describeError(err)}`),
    );
    this.pipeline = new AttemptPipeline(binding, host);
    this.observer = host.consumeObserver;
    const target = runnerPullTarget(binding, host, {
      resumePoint: () => this.resumePoint(),
      waiting: () => this.queue.size,
      held: () => this.unsettled.size,
      pinned: (id) => this.pin?.set(id),
    });
    this.puller = new MessagePuller(target, host.logger, (msg) => this.receive(msg));
    this.deadlines = new HandlerDeadlines(
      binding.handlerTimeoutMs,
      () => this.unsettled,
      (ctx) => this.abandon(ctx),
    );
  }

  /** Handler calls running now (what `close()` waits for). */
  get runningHandlers(): number {
    return this.running;
  }

  /** Handlers abandoned after `handlerTimeout` that are still running. */
  get timedOutRunning(): number {
    return this.outlived.size;
  }

  async start(): Promise<void> {
    await this.puller.start();
    // working() well before ackWait runs out, for messages queued or still running; handlerTimeout
    // has its own timer (a sweep every ackWait/3 would fire it up to ackWait/3 late).
    const every = Math.max(Math.floor(this.binding.ackWaitMs / 3), 50);
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  /** Stops pulling, naks what is queued, waits for running handlers up to `timeoutMs`, naks the stragglers. */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    const stopped = this.puller.close();
    this.nakQueued();
    await stopped;
    this.nakQueued();
    if (this.running > 0) {
      const drained = new Promise<void>((resolve) => (this.idle = resolve));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs)));
      const late = await Promise.race([drained.then(() => false), timedOut]);
      clearTimeout(timer);
      if (late) {
        this.host.logger.warn?.(
          `${this.running} handler(s) for "${this.binding.subject}" still running after shutdownTimeout ${timeoutMs} ms: naked for redelivery`,
        );
        // Nak each straggler once, and mark it so its late result settles nothing (the ack would
        // follow the nak). One already settling (a dead letter being published) is left to finish.
        for (const ctx of this.unsettled) {
          if (ctx.settled) continue;
          ctx.abandoned = true;
          this.nak(ctx, 0);
        }
      }
    }
    clearInterval(this.sweepTimer);
    this.deadlines.stop();
    this.ledger.stop();
    this.unsettled.clear();
  }

  // --- MessageSettler: what JetStreamContext calls -------------------------------------------

  ack(ctx: JetStreamContext): void {
    if (!this.mark(ctx, 'ack')) return;
    this.observer?.settled(ctx.observed, 'ack');
    this.ledger.ack(ctx.getMessage());
  }

  nak(ctx: JetStreamContext, delay?: Duration): void {
    if (!this.mark(ctx, 'nak')) return;
    this.observer?.settled(ctx.observed, 'nak');
    const ms = delay === undefined ? nakDelay(ctx.getMessage().info.deliveryCount, this.binding.backoffMs) : toMillis(delay, 'nak(delay)');
    ctx.getMessage().nak(ms);
    this.ledger.naked(ctx.getMessage());
  }

  /** From the handler: with a dead-letter route, the message goes there first. */
  term(ctx: JetStreamContext, reason?: string): void {
    if (ctx.settled) return;
    ctx.pendingSettle = this.finalize(ctx, reason === undefined ? 'terminated by the handler' : this.host.redact(reason), false);
  }

  working(ctx: JetStreamContext): void {
    if (ctx.isSettled()) return;
    ctx.getMessage().working();
    ctx.touched = this.tick;
  }

  // --- internals ------------------------------------------------------------------------------

  /** Where a consumer deleted while the app runs should start again (see `AckLedger.resumePoint`). */
  resumePoint(): number | undefined {
    return this.ledger.resumePoint([...this.unsettled].map((ctx) => ctx.getMessage()));
  }

  private mark(ctx: JetStreamContext, action: 'ack' | 'nak' | 'term'): boolean {
    if (ctx.settled) return false;
    ctx.settled = action;
    return true;
  }

  private receive(msg: JsMsg): void {
    if (this.closing) {
      msg.nak();
      return;
    }
    const ctx = JetStreamContext.create(msg, this, this.tick);
    // Read once per message: the attempt pipeline and the metrics both ask.
    ctx.attempt = deliveryAttempt(msg);
    this.ledger.received(msg);
    if (this.observer) ctx.observed = this.observer.received(this.binding, ctx);
    this.unsettled.add(ctx);
    if (this.running < this.binding.concurrency) {
      this.run(ctx);
      return;
    }
    this.queue.push(ctx);
  }

  private run(ctx: JetStreamContext): void {
    this.running++;
    this.process(ctx);
  }

  private finished(ctx: JetStreamContext): void {
    // An abandoned message (handler timeout) was already counted out.
    if (!this.unsettled.delete(ctx)) {
      this.outlived.delete(ctx);
      return;
    }
    this.running--;
    this.next();
  }

  private next(): void {
    const ctx = this.closing ? undefined : this.queue.shift();
    if (ctx) {
      this.run(ctx);
      this.puller.resume();
      return;
    }
    if (this.running === 0) this.idle?.();
  }

  private nakQueued(): void {
    for (const ctx of this.queue.takeAll()) {
      ctx.getMessage().nak();
      this.ledger.naked(ctx.getMessage());
      this.observer?.settled(ctx.observed, 'nak', 'shutdown');
      this.unsettled.delete(ctx);
    }
  }

  /** Never throws: every outcome is a settle decision. A synchronously settled handler costs no promise; else one async frame waits. */
  private process(ctx: JetStreamContext): void {
    let outcome: Outcome;
    try {
      this.deadlines.started(ctx);
      outcome = this.pipeline.run(ctx, ctx.attempt!, this, true);
    } catch (err) {
      this.settleFailed(ctx, err);
      this.finished(ctx);
      return;
    }
    if (outcome === undefined) {
      this.finished(ctx);
      return;
    }
    void this.complete(ctx, outcome);
  }

  /** Waits for what the attempt still has to do (the handler's result, a store), applies its decision, then frees the slot. */
  private async complete(ctx: JetStreamContext, outcome: Outcome): Promise<void> {
    try {
      const result = outcome instanceof Promise ? await outcome : outcome;
      if (result) await this.settle(ctx, result.decision, result.error);
    } catch (err) {
      this.settleFailed(ctx, err);
    } finally {
      this.finished(ctx);
    }
  }

  /** Settling itself failed (the connection closed under us): the server redelivers after ackWait. */
  private settleFailed(ctx: JetStreamContext, err: unknown): void {
    this.host.logger.error?.(`Could not settle message on "${ctx.getMessage().subject}": ${describeError(err)}`);
  }

  /** The pipeline's settle step: what the handler left to settle (a success is acked here, on the hot path, without a promise). */
  afterRun(ctx: JetStreamContext, attempt: number, failed: boolean, error: unknown): Outcome {
    const { binding, host } = this;
    if (ctx.pendingSettle) return ctx.pendingSettle.then(() => undefined);
    if (binding.manualAck) {
      if (!ctx.isSettled()) {
        const msg = ctx.getMessage();
        host.logger.warn?.(
          `Handler for "${msg.subject}" (manualAck) returned without settling message ${msg.info.streamSequence}: it will be redelivered after ackWait ${binding.ackWaitMs} ms`,
        );
      }
      return undefined;
    }
    if (ctx.isSettled()) return undefined;
    if (failed) return { decision: decideAfterRun(error, failed, attempt, binding, host.redact), error };
    if (!binding.idempotency) {
      this.ack(ctx);
      return undefined;
    }
    return recordHandled(this, ctx, host.logger, attempt).then((recorded) => {
      if (recorded) this.ack(ctx);
      return undefined;
    });
  }

  private async settle(ctx: JetStreamContext, decision: SettleDecision, error?: unknown): Promise<void> {
    switch (decision.action) {
      case 'ack':
        this.ack(ctx);
        return;
      case 'nak': {
        this.nak(ctx, decision.delayMs);
        const info = ctx.getMessage().info;
        // The stack on the first failure (and on the final one, when it settles for good), not on every retry.
        this.pipeline.retryWarning(
          ctx,
          info.deliveryCount,
          (subject, failure) =>
            `Handler for "${subject}" failed on attempt ${info.deliveryCount}/${this.binding.maxDeliver} (stream ${info.stream} seq ${info.streamSequence}); redelivery in ${decision.delayMs} ms: ${failure || 'undefined'}`,
          error,
        );
        return;
      }
      case 'term':
        return this.finalize(ctx, decision.reason, decision.exhausted, error);
    }
  }

  /** Settles for good on the server (dead letter, else term; see `AttemptPipeline.settleForGood`). */
  private finalize(ctx: JetStreamContext, reason: string, exhausted: boolean, error?: unknown): Promise<void> {
    return this.pipeline.settleForGood(ctx, reason, exhausted, error, (msg) => this.ledger.naked(msg));
  }

  /** Every ackWait/3: messages untouched for a whole interval get `working()`, so none reaches ackWait while its handler runs (until `handlerTimeout`). */
  private sweep(): void {
    const tick = this.tick;
    for (const ctx of this.unsettled) {
      if (ctx.touched < tick) {
        ctx.touched = tick + 1;
        this.ledger.working(ctx.getMessage());
      }
    }
    this.tick = tick + 1;
  }

  /** A handler past `handlerTimeout`: its message is settled as failed and its slot given to the next. */
  private abandon(ctx: JetStreamContext): void {
    const msg = ctx.getMessage();
    ctx.startedAt = -1;
    ctx.abandoned = true;
    this.unsettled.delete(ctx);
    this.running--;
    // JavaScript cannot stop the handler: it keeps running beside the `concurrency` new ones.
    this.outlived.add(ctx);
    const settled = ctx.settled;
    this.host.logger.warn?.(
      `Handler for "${msg.subject}" (stream ${msg.info.stream} seq ${msg.info.streamSequence}) ran past handlerTimeout ${this.binding.handlerTimeoutMs} ms: ${settled ? `its message was already settled (${settled}) and stays so` : 'its attempt counts as failed'} and its slot is given to the next message; ${this.outlived.size} timed-out handler(s) of this consumer still running`,
    );
    // Settled by the handler (or being dead-lettered): never settled a second time.
    if (settled) {
      this.next();
      return;
    }
    const err = new HandlerTimeoutError(msg.subject, msg.info.streamSequence, this.binding.handlerTimeoutMs);
    void this.settle(ctx, decideAfterRun(err, true, msg.info.deliveryCount, this.binding, this.host.redact), err).catch((e: unknown) =>
      this.host.logger.error?.(`Could not settle timed-out message on "${msg.subject}": ${describeError(e)}`),
    );
    this.next();
  }
}
