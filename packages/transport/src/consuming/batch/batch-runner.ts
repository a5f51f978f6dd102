import type { JsMsg } from '@nats-io/jetstream';
import { bindingInfo, type HandlerBinding, type HandlerBindingInfo } from '../../bindings/handler-binding.js';
import type { JetStreamContext } from '../../ctx-host/jetstream.context.js';
import type { ConsumeObserver } from '../../observability/instrumentation.interface.js';
import { PinTracker } from '../../priority/pin-tracker.js';
import { describeError, type SettleDecision } from '../../settlement/settle-policy.js';
import { AttemptPipeline } from '../attempt/attempt-pipeline.js';
import type { RunnerHost } from '../consumer-runner.js';
import { MessagePuller } from '../message-puller.js';
import { runnerPullTarget } from '../runner-pull-target.js';
import { RunnerSettler } from '../runner-settler.js';
import { attemptBatch, type BatchDecision } from './batch-attempt.js';

/**
 * Runs a batch handler's consumer (`@JetStreamEvent(subject, { batch: { size, maxWait } })`): messages
 * are gathered until `size` arrived or `maxWait` passed since the first, then handed to the handler
 * together, one batch at a time. It never holds more than `size` messages (gathered, running, and
 * requested from the server: the prefetch window's cap is `size` and counts them all), so memory is
 * bounded by the batch. Held messages get `working()` every ackWait/3 until their batch settles.
 */
export class BatchRunner {
  private readonly puller: MessagePuller;
  private readonly settler: RunnerSettler;
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
    this.settler = new RunnerSettler(binding, host, new AttemptPipeline(binding, host), () => this.held, 'Batch handler');
    this.observer = host.consumeObserver;
    const held = () => this.held.size;
    const target = runnerPullTarget(binding, host, {
      resumePoint: () => this.settler.resumePoint(),
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
    this.settler.start();
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
      const size = this.runningSize;
      await this.settler.drain(running, timeoutMs, () => `A batch of ${size} message(s) for "${this.binding.subject}" was still running`);
    }
    this.settler.stop();
    this.held.clear();
  }

  // --- internals ------------------------------------------------------------------------------

  private receive(msg: JsMsg): void {
    if (this.closing) {
      msg.nak();
      return;
    }
    const ctx = this.settler.received(msg);
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
    const settles = decisions.filter((d) => !d.ctx.abandoned).map((d) => this.settler.settle(d.ctx, d.decision, d.error));
    const pending = batch.map((ctx) => ctx.pendingSettle).filter((p) => p !== undefined);
    for (const result of await Promise.allSettled([...settles, ...pending])) {
      if (result.status === 'rejected')
        this.host.logger.error?.(`Could not settle a message of a batch on "${this.binding.subject}": ${describeError(result.reason)}`);
    }
    if (this.binding.manualAck) this.warnUnsettled(batch);
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
      this.settler.nakUnstarted(ctx);
      this.held.delete(ctx);
    }
    this.gathering = [];
  }
}
