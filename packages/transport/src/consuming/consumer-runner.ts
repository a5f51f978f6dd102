import type { LeaderGuard } from '../connection/leader-guard.js';
import type { LeaderWatch } from './leader-watch.js';
import type { Consumer, JsMsg, PushConsumer } from '@nats-io/jetstream';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { HandlerTimeoutError } from '../errors/handler.errors.js';
import { decideAfterRun, describeError } from '../settlement/settle-policy.js';
import type { Duration } from '../utils/duration.js';
import { bindingInfo, type HandlerBinding, type HandlerBindingInfo } from '../bindings/handler-binding.js';
import { MessagePuller } from './message-puller.js';
import { HandlerDeadlines } from './handler-deadlines.js';
import { HeadQueue } from './head-queue.js';
import { recordHandled } from '../idempotency/idempotent-call.js';
import { AttemptPipeline, type AttemptSettlement, type Outcome } from './attempt/attempt-pipeline.js';
import type { AttemptWiring } from './attempt/attempt-wiring.js';
import { PinTracker } from '../priority/pin-tracker.js';
import { runnerPullTarget } from './runner-pull-target.js';
import { RunnerSettler } from './runner-settler.js';

/** What a runner is handed when it is made: its attempt pipeline's wiring, and where its consumer is. */
export interface RunnerHost extends AttemptWiring {
  /** The consumer to pull from; with `recreate`, first put it back on the server (it was deleted). */
  consumerFor(binding: HandlerBinding, recreate: boolean, resumeFrom?: number): Promise<Consumer | PushConsumer>;
  /** Moves the connection off a server that lost the consumer's leader (connection/leader-guard.ts). */
  readonly leaderGuard?: LeaderGuard;
  /** Its connection's consumer elections: a pull left at an old leader is sent again (consuming/leader-watch.ts). */
  readonly leaderWatch?: LeaderWatch;
}

/**
 * Runs one handler's consumer, pulled or pushed (any mode but ordered): at most `concurrency`
 * handlers at once (the rest queue locally, about a second of work, never above `prefetch`),
 * long runs kept alive with `working()` until `handlerTimeout` (at its value, whatever `ackWait`),
 * each message settled: ack, nak with backoff, or for good (dead letter, else term).
 */
export class ConsumerRunner implements AttemptSettlement {
  private readonly puller: MessagePuller;
  private readonly queue = new HeadQueue<JetStreamContext>();
  private running = 0;
  /** Every received, unsettled message (queued or running). */
  private readonly unsettled = new Set<JetStreamContext>();
  private readonly settler: RunnerSettler;
  /** Handlers abandoned after `handlerTimeout` that have not returned yet (they run outside `concurrency`). */
  private readonly outlived = new Set<JetStreamContext>();
  private readonly deadlines: HandlerDeadlines<JetStreamContext>;
  private closing = false;
  private idle?: () => void;
  private readonly pipeline: AttemptPipeline;

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
    this.pipeline = new AttemptPipeline(binding, host);
    this.settler = new RunnerSettler(binding, host, this.pipeline, () => this.unsettled);
    const target = runnerPullTarget(binding, host, {
      resumePoint: () => this.settler.resumePoint(),
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
    this.settler.start();
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
      await this.settler.drain(drained, timeoutMs, () => `${this.running} handler(s) for "${this.binding.subject}" still running`);
    }
    this.settler.stop();
    this.deadlines.stop();
    this.unsettled.clear();
  }

  // --- IdempotencySettler: the idempotency gate settles through the runner's settler -----------

  ack(ctx: JetStreamContext): void {
    this.settler.ack(ctx);
  }

  nak(ctx: JetStreamContext, delay?: Duration): void {
    this.settler.nak(ctx, delay);
  }

  // --- internals ------------------------------------------------------------------------------

  private receive(msg: JsMsg): void {
    if (this.closing) {
      msg.nak();
      return;
    }
    const ctx = this.settler.received(msg);
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
      this.settler.nakUnstarted(ctx);
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
      if (result) await this.settler.settle(ctx, result.decision, result.error);
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
    void this.settler
      .settle(ctx, decideAfterRun(err, true, msg.info.deliveryCount, this.binding, this.host.redact), err)
      .catch((e: unknown) => this.host.logger.error?.(`Could not settle timed-out message on "${msg.subject}": ${describeError(e)}`));
    this.next();
  }
}
