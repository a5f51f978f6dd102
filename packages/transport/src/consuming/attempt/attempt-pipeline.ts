import type { JsMsg } from '@nats-io/jetstream';
import { maxDeliverOffset } from '../../provisioning/consumer-config.js';
import type { HandlerBinding } from '../../bindings/handler-binding.js';
import type { JetStreamCodec } from '../../codecs/codec.interface.js';
import { DeadLetterHeaders } from '../../constants.js';
import type { JetStreamContext } from '../../ctx-host/jetstream.context.js';
import { DecodeError } from '../../errors/handler.errors.js';
import { JetStreamNotListeningError } from '../../errors/jetstream-transport.error.js';
import { settleIfRecorded, type IdempotencySettler } from '../../idempotency/idempotent-call.js';
import type { ConsumeObserver } from '../../observability/instrumentation.interface.js';
import { redactFailure } from '../../security/redact-failure.js';
import { RedactedLine } from '../../security/redacting-logger.js';
import { withStack } from '../../settlement/error-detail.js';
import { decideBeforeRun, describeError, type SettleDecision } from '../../settlement/settle-policy.js';
import { readHeaders } from '../../utils/headers.js';
import { runWithProcessingHooks, type ProcessingHooks } from '../processing-hooks.js';
import type { AttemptWiring } from './attempt-wiring.js';
import { afterResult, isPending } from './handler-result.js';

/** A decision the runner applies, and what failed the message (for the logs and the dead letter's stack). */
export interface AttemptResult {
  readonly decision: SettleDecision;
  readonly error?: unknown;
}

/** What an attempt comes to: synchronously when every step was, else once the handler (or a store) has answered. */
export type Outcome = AttemptResult | undefined | Promise<AttemptResult | undefined>;

/** The runner's settle step: what differs between a consumer that acks and an ordered read that retries in process. */
export interface AttemptSettlement extends IdempotencySettler {
  /**
   * The handler returned or threw (`ran`), or the idempotency gate settled the message without
   * running it: the decision left to apply, or undefined when nothing is.
   */
  afterRun(ctx: JetStreamContext, attempt: number, failed: boolean, error: unknown, ran: boolean): Outcome;
}

/**
 * One attempt at one message, the same for every runner: gate (attempts left, a recorded
 * idempotency key) → decode → invoke (tracing, processing hooks) → the runner's settle step;
 * and the finalize step every runner shares (the dead letter, with its report). Made once per
 * runner with what it is handed (`AttemptWiring`).
 */
export class AttemptPipeline {
  private readonly codec: JetStreamCodec;
  /** Whether the codec's `decode` takes the headers and the subject: they are parsed per message only for codecs that do. */
  private readonly decodeHeaders: boolean;
  private readonly decodeSubject: boolean;
  readonly observer?: ConsumeObserver;
  private readonly hooks?: ProcessingHooks;

  constructor(
    readonly binding: HandlerBinding,
    readonly wiring: AttemptWiring,
  ) {
    this.codec = binding.codec ?? wiring.codec;
    this.decodeHeaders = this.codec.decodeInputs?.headers === true;
    this.decodeSubject = this.codec.decodeInputs?.subject === true;
    this.observer = wiring.consumeObserver;
    this.hooks = wiring.processingHooks;
  }

  /**
   * gate → decode → invoke → `settlement.afterRun`. The decision the runner applies, or undefined
   * when the message is settled already (or was abandoned at its `handlerTimeout`). Synchronous
   * while every step is (a direct call of a synchronous method, no idempotency store): the hot
   * path waits no microtask. Rejects only when settling failed (`gateDeliveries`: the consumer's
   * own attempt count is checked first).
   */
  run(ctx: JetStreamContext, attempt: number, settlement: AttemptSettlement, gateDeliveries: boolean): Outcome {
    if (gateDeliveries) {
      const early = decideBeforeRun(attempt, this.binding);
      if (early) return { decision: early };
    }
    return this.binding.idempotency ? this.gateThenRun(ctx, attempt, settlement) : this.decodeAndInvoke(ctx, attempt, settlement);
  }

  /** An idempotent handler's recorded key: settled without running (docs/idempotency.md). */
  private async gateThenRun(ctx: JetStreamContext, attempt: number, settlement: AttemptSettlement): Promise<AttemptResult | undefined> {
    const gate = await settleIfRecorded(settlement, ctx, this.wiring.logger, attempt);
    // handlerTimeout runs from before the gate: a store slower than it abandoned (naked) the message, so neither run nor settle it.
    if (ctx.abandoned) return undefined;
    if (gate === true) return settlement.afterRun(ctx, attempt, false, undefined, false);
    if (gate !== false) return this.poison(gate);
    return this.decodeAndInvoke(ctx, attempt, settlement);
  }

  private decodeAndInvoke(ctx: JetStreamContext, attempt: number, settlement: AttemptSettlement): Outcome {
    const msg = ctx.getMessage();
    let data: unknown;
    try {
      // Headers and subject are parsed from bytes on first use: only codecs that take them pay for it.
      data = this.codec.decode(msg.data, this.decodeHeaders ? msg.headers : undefined, this.decodeSubject ? msg.subject : '');
    } catch (cause) {
      // A header block nats.js cannot parse throws on every read: the message is dead-lettered all the same.
      return this.poison(
        new DecodeError(msg.subject, msg.info.streamSequence, { cause, deadLetter: readHeaders(() => msg.headers).headers?.has(DeadLetterHeaders.Stream) }),
      );
    }
    let result: unknown;
    try {
      result = this.invoke(data, ctx);
    } catch (err) {
      return this.ran(ctx, attempt, settlement, true, err);
    }
    // A plain value (a synchronous handler) settles at once: no microtask, and no closure made per message.
    if (!isPending(result)) return this.ran(ctx, attempt, settlement, false, undefined);
    return afterResult(result, (failed, error) => this.ran(ctx, attempt, settlement, failed, error));
  }

  /** The handler returned or threw: the attempt is over. */
  private ran(ctx: JetStreamContext, attempt: number, settlement: AttemptSettlement, failed: boolean, thrown: unknown): Outcome {
    // The exception Nest's pipeline raised, before any filter reshaped it; a message that
    // echoes a credential is redacted before any log, span or dead letter quotes it.
    const error = failed ? redactFailure(ctx.handlerError ?? thrown, this.wiring.redact) : undefined;
    // No handlerTimeout while it is being settled (a slow dead-letter publish, the idempotency record).
    ctx.startedAt = -1;
    if (ctx.abandoned) return undefined;
    this.observer?.handled?.(ctx.observed, failed ? (error ?? new Error('handler failed')) : undefined);
    return settlement.afterRun(ctx, attempt, failed, error, true);
  }

  /**
   * The finalize step of a message that goes to its dead-letter route: published (inside the
   * failed attempt's trace, when tracing is on) and reported. Rejects when the publish failed.
   */
  async deadLetter(ctx: JetStreamContext, reason: string, exhausted: boolean, error?: unknown): Promise<void> {
    const route = this.wiring.deadLetters;
    if (!route) throw new JetStreamNotListeningError('JetStreamServer');
    const observer = this.observer;
    const send = () => route.route(this.binding, ctx, reason, exhausted, error);
    const event = await (observer?.within ? observer.within(ctx.observed, send) : send());
    this.wiring.reporter.deadLettered(event, error);
  }

  /**
   * Settles a consumer's message for good. With a dead-letter route: publish the dead letter, and
   * only after its PubAck term the original; if the publish fails, nak with the last backoff delay
   * so the message stays in its stream and the next delivery tries again (`naked` is told).
   * `reason` was redacted where it was made.
   */
  async settleForGood(ctx: JetStreamContext, reason: string, exhausted: boolean, error: unknown, naked: (msg: JsMsg) => void): Promise<void> {
    if (ctx.settled) return;
    const { binding, wiring } = this;
    const msg = ctx.getMessage();
    ctx.settled = 'term';
    if (!binding.deadLetter) {
      msg.term(wiring.termReasonSupported ? reason : undefined);
      this.observer?.settled(ctx.observed, 'term', reason);
      wiring.reporter.terminated(ctx, reason, exhausted, error);
      return;
    }
    try {
      await this.deadLetter(ctx, reason, exhausted, error);
    } catch (err) {
      const delay = binding.backoffMs.length ? binding.backoffMs[binding.backoffMs.length - 1] : 0;
      ctx.settled = 'nak';
      msg.nak(delay);
      naked(msg);
      const why = describeError(err, undefined, wiring.redact);
      // The consumer's `max_deliver` on the server: after this delivery the server gives up.
      if (msg.info.deliveryCount >= binding.maxDeliver + maxDeliverOffset(binding)) wiring.reporter.stranded(ctx, why);
      this.observer?.settled(ctx.observed, 'nak', `dead-letter publish failed: ${why}`);
      wiring.logger.error?.(
        new RedactedLine(
          `Could not dead-letter message ${msg.info.streamSequence} on "${wiring.redact(msg.subject)}": ${why}. It stays in ${msg.info.stream}; retrying in ${delay} ms.`,
        ),
      );
      return;
    }
    msg.term(wiring.termReasonSupported ? `dead-lettered: ${reason}` : undefined);
    this.observer?.settled(ctx.observed, 'dead_letter', reason);
  }

  /**
   * The warning of a failed attempt that will be retried, redacted once here (the failure was
   * redacted where it was caught): the stack on the first failure only, not on every retry.
   */
  retryWarning(ctx: JetStreamContext, attempt: number, text: (subject: string, failure: string) => string, error: unknown): void {
    const { redact, logger } = this.wiring;
    const line = text(redact(ctx.getSubject()), error === undefined ? '' : describeError(error, undefined, redact));
    logger.warn?.(new RedactedLine(attempt === 1 ? withStack(line, error) : line));
  }

  /** A message no attempt can handle (it does not decode, its headers cannot be read): terminated for good, with the reason redacted once. */
  private poison(error: Error): AttemptResult {
    return { decision: { action: 'term', exhausted: false, reason: describeError(error, undefined, this.wiring.redact) }, error };
  }

  /** Calls the handler once: what it returned (a Promise or Observable is waited for by `afterResult`). */
  private invoke(data: unknown, ctx: JetStreamContext): unknown {
    if (this.hooks) return runWithProcessingHooks(this.hooks, ctx, () => this.traced(data, ctx));
    return this.traced(data, ctx);
  }

  private traced(data: unknown, ctx: JetStreamContext): unknown {
    const observer = this.observer;
    if (observer?.run) return observer.run(ctx.observed, () => this.call(data, ctx));
    return this.call(data, ctx);
  }

  private call(data: unknown, ctx: JetStreamContext): unknown {
    const binding = this.binding;
    return binding.direct ? binding.direct(data, ctx) : binding.handler(data, ctx);
  }
}
