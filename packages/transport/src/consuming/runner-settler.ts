import type { JsMsg } from '@nats-io/jetstream';
import type { HandlerBinding } from '../bindings/handler-binding.js';
import { JetStreamContext, type MessageSettler } from '../ctx-host/jetstream.context.js';
import { deliveryAttempt } from '../nats-adapter/private-access.js';
import type { ConsumeObserver } from '../observability/instrumentation.interface.js';
import { describeError, nakDelay, type SettleDecision } from '../settlement/settle-policy.js';
import { toMillis, type Duration } from '../utils/duration.js';
import { AckLedger } from './ack-ledger.js';
import type { AttemptPipeline } from './attempt/attempt-pipeline.js';
import type { AttemptWiring } from './attempt/attempt-wiring.js';

/** The shortest interval of the `working()` sweep (a tiny `ackWait` in tests would spin the timer). */
const MIN_SWEEP_MS = 50;

/**
 * How a runner's messages are settled on the server, the same for the single-message and the batch
 * runner: ack / nak (with backoff) / term (dead letter first) through the ack ledger and the
 * observer, `working()` every ackWait/3 for every message the runner holds, a settle decision
 * applied, and close()'s naks (messages never started, stragglers after `shutdownTimeout`).
 * Each message's `JetStreamContext` settles through it.
 */
export class RunnerSettler implements MessageSettler {
  readonly ledger: AckLedger;
  private readonly observer?: ConsumeObserver;
  /** The sweep's clock: a message touched in the current tick is not swept. */
  private tick = 0;
  private sweepTimer?: NodeJS.Timeout;

  /**
   * @param held every received, unsettled message of the runner (what the sweep keeps alive and close() naks).
   * @param who how the retry warning names the handler (`Handler`, `Batch handler`).
   */
  constructor(
    readonly binding: HandlerBinding,
    private readonly wiring: AttemptWiring,
    private readonly pipeline: AttemptPipeline,
    private readonly held: () => Iterable<JetStreamContext>,
    private readonly who = 'Handler',
  ) {
    this.ledger = new AckLedger(binding.maxAckPending, (what, msg, err) =>
      wiring.logger.error?.(`Could not ${what} a message on "${msg.subject}" (later failures not logged): ${describeError(err)}`),
    );
    this.observer = wiring.consumeObserver;
  }

  /** A message arrived: its context (settled through this settler), counted by the ledger and the observer. */
  received(msg: JsMsg): JetStreamContext {
    const ctx = JetStreamContext.create(msg, this, this.tick);
    // Read once per message: the attempt pipeline and the metrics both ask.
    ctx.attempt = deliveryAttempt(msg);
    this.ledger.received(msg);
    if (this.observer) ctx.observed = this.observer.received(this.binding, ctx);
    return ctx;
  }

  /** Starts the `working()` sweep (every ackWait/3): no held message reaches ackWait while its handler runs or it waits. */
  start(): void {
    const every = Math.max(Math.floor(this.binding.ackWaitMs / 3), MIN_SWEEP_MS);
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  /** Stops the sweep and flushes the ledger (the runner closed). */
  stop(): void {
    clearInterval(this.sweepTimer);
    this.ledger.stop();
  }

  // --- MessageSettler: what JetStreamContext calls -------------------------------------------

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

  /** From the handler: with a dead-letter route, the message goes there first (its own dead letter, its own headers). */
  term(ctx: JetStreamContext, reason?: string): void {
    if (ctx.settled) return;
    ctx.pendingSettle = this.finalize(ctx, reason === undefined ? 'terminated by the handler' : this.wiring.redact(reason), false);
  }

  working(ctx: JetStreamContext): void {
    if (ctx.settled) return;
    ctx.getMessage().working();
    ctx.touched = this.tick;
  }

  // --- what the runners call -------------------------------------------------------------------

  /** Applies a settle decision; a retry is logged (the stack on the first failure only). */
  async settle(ctx: JetStreamContext, decision: SettleDecision, error?: unknown): Promise<void> {
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
            `${this.who} for "${subject}" failed on attempt ${info.deliveryCount}/${this.binding.maxDeliver} (stream ${info.stream} seq ${info.streamSequence}); redelivery in ${decision.delayMs} ms: ${failure || 'undefined'}`,
          error,
        );
        return;
      }
      case 'term':
        return this.finalize(ctx, decision.reason, decision.exhausted, error);
    }
  }

  /** Settles for good on the server (dead letter, else term; see `AttemptPipeline.settleForGood`). */
  finalize(ctx: JetStreamContext, reason: string, exhausted: boolean, error?: unknown): Promise<void> {
    return this.pipeline.settleForGood(ctx, reason, exhausted, error, (msg) => this.ledger.naked(msg));
  }

  /** A message never handed to its handler, given back at shutdown (redelivered at once). */
  nakUnstarted(ctx: JetStreamContext): void {
    ctx.getMessage().nak();
    this.ledger.naked(ctx.getMessage());
    this.observer?.settled(ctx.observed, 'nak', 'shutdown');
  }

  /**
   * Waits for `running` up to `timeoutMs`; past it, warns (`late` says what was still running) and
   * naks each held message once, marking it so its handler's late result settles nothing (the ack
   * would follow the nak). One already settling (a dead letter being published) is left to finish.
   */
  async drain(running: Promise<unknown>, timeoutMs: number, late: () => string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs)));
    const overran = await Promise.race([running.then(() => false), timedOut]);
    clearTimeout(timer);
    if (!overran) return;
    this.wiring.logger.warn?.(`${late()} after shutdownTimeout ${timeoutMs} ms: naked for redelivery`);
    for (const ctx of this.held()) {
      if (ctx.settled) continue;
      ctx.abandoned = true;
      this.nak(ctx, 0);
    }
  }

  /** Where a consumer deleted while the app runs should start again (see `AckLedger.resumePoint`). */
  resumePoint(): number | undefined {
    return this.ledger.resumePoint([...this.held()].map((ctx) => ctx.getMessage()));
  }

  /** Every ackWait/3: held messages untouched for a whole interval get `working()`. */
  private sweep(): void {
    const tick = this.tick;
    for (const ctx of this.held()) {
      if (ctx.touched < tick) {
        ctx.touched = tick + 1;
        this.ledger.working(ctx.getMessage());
      }
    }
    this.tick = tick + 1;
  }
}
