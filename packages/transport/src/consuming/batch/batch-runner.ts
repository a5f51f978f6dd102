import type { JsMsg } from '@nats-io/jetstream';
import { bindingInfo, type HandlerBinding, type HandlerBindingInfo } from '../../bindings/handler-binding.js';
import type { JetStreamContext } from '../../ctx-host/jetstream.context.js';
import type { BatchObservation, ConsumeObserver } from '../../observability/instrumentation.interface.js';
import { PinTracker } from '../../priority/pin-tracker.js';
import { HandlerTimeoutError } from '../../errors/handler.errors.js';
import { decideAfterRun, describeError, type SettleDecision } from '../../settlement/settle-policy.js';
import { AttemptPipeline } from '../attempt/attempt-pipeline.js';
import type { RunnerHost } from '../consumer-runner.js';
import { MessagePuller } from '../message-puller.js';
import { runnerPullTarget } from '../runner-pull-target.js';
import { RunnerSettler } from '../runner-settler.js';
import { prepareBatch, runBatch, type BatchAttemptWiring, type BatchDecision, type PreparedBatch } from './batch-attempt.js';

/**
 * Runs a batch handler's consumer (`@JetStreamEvent(subject, { batch: { size, maxWait } })`): messages
 * are gathered until `size` arrived or `maxWait` passed since the first, then handed to the handler
 * together, one batch at a time. It never holds more than `size` messages (gathered, running, and
 * requested from the server: the prefetch window's cap is `size` and counts them all), so memory is
 * bounded by the batch. Held messages get `working()` every ackWait/3 until their batch settles;
 * a handler call past `handlerTimeout` is abandoned and its messages settled as a failed attempt.
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
  private readonly wiring: BatchAttemptWiring;
  /** Batch handler calls abandoned at `handlerTimeout` that have not returned yet. */
  private outlived = 0;

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
    const observer = this.observer;
    this.wiring = {
      codec: binding.codec ?? host.codec,
      redact: host.redact,
      handled: observer?.handled ? (ctx, error) => observer.handled!(ctx.observed, error) : undefined,
      hooks: host.processingHooks,
    };
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

  /** Batch handler calls abandoned after `handlerTimeout` that are still running. */
  get timedOutRunning(): number {
    return this.outlived;
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
      const prepared = prepareBatch(batch, this.binding, this.wiring);
      decisions = [...prepared.early, ...(await this.invoke(prepared))];
    } catch (err) {
      this.host.logger.error?.(`Batch handler for "${this.binding.subject}" could not run: ${describeError(err)}`);
      decisions = batch.map((ctx) => ({ ctx, decision: { action: 'nak', delayMs: 0 } satisfies SettleDecision }));
    }
    const settles = decisions.map((d) => this.settler.settle(d.ctx, d.decision, d.error));
    const pending = batch.map((ctx) => ctx.pendingSettle).filter((p) => p !== undefined);
    for (const result of await Promise.allSettled([...settles, ...pending])) {
      if (result.status === 'rejected')
        this.host.logger.error?.(`Could not settle a message of a batch on "${this.binding.subject}": ${describeError(result.reason)}`);
    }
    if (this.binding.manualAck) this.warnUnsettled(batch);
  }

  /**
   * The handler's one call, raced against `handlerTimeout`. In time: its decisions (none for a
   * message close() naked meanwhile: its late outcome settles nothing). Past it: each message it
   * left unsettled is abandoned and decided as a timed-out attempt (nak with backoff, dead letter on
   * its last attempt), and the call runs on outside the runner, its late outcome ignored.
   */
  private async invoke(prepared: PreparedBatch): Promise<BatchDecision[]> {
    const { live } = prepared;
    if (live.length === 0) return [];
    const observation = this.observer?.batch?.(
      this.binding,
      live.map((ctx) => ctx.observed),
    );
    const call = runBatch(prepared, this.binding, this.wiring, observation);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), this.binding.handlerTimeoutMs)));
    const decisions = await Promise.race([call, expired]);
    clearTimeout(timer);
    if (decisions) return decisions.filter((d) => !d.ctx.abandoned);
    return this.timedOut(live, call, observation);
  }

  private timedOut(live: readonly JetStreamContext[], call: Promise<unknown>, observation?: BatchObservation): BatchDecision[] {
    const { binding, host } = this;
    this.outlived++;
    const gone = () => void this.outlived--;
    void call.then(gone, gone);
    const left = live.filter((ctx) => !ctx.settled && !ctx.pendingSettle);
    host.logger.warn?.(
      `Batch handler for "${binding.subject}" (${live.length} message(s)) ran past handlerTimeout ${binding.handlerTimeoutMs} ms: the ${left.length} message(s) it left unsettled count as a failed attempt and the next batch goes on; ${this.outlived} timed-out batch handler call(s) of this consumer still running`,
    );
    const decisions = left.map((ctx): BatchDecision => {
      const msg = ctx.getMessage();
      // Its late outcome settles nothing (runBatch skips an abandoned message).
      ctx.abandoned = true;
      const error = new HandlerTimeoutError(msg.subject, msg.info.streamSequence, binding.handlerTimeoutMs);
      return { ctx, decision: decideAfterRun(error, true, ctx.attempt ?? msg.info.deliveryCount, binding, host.redact), error };
    });
    observation?.ended(decisions[0]?.error ?? new HandlerTimeoutError(binding.subject, live[0].getMessage().info.streamSequence, binding.handlerTimeoutMs));
    return decisions;
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
