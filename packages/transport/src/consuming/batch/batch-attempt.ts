import type { HandlerBinding } from '../../bindings/handler-binding.js';
import type { JetStreamCodec } from '../../codecs/codec.interface.js';
import { DeadLetterHeaders } from '../../constants.js';
import type { JetStreamContext } from '../../ctx-host/jetstream.context.js';
import { DecodeError } from '../../errors/handler.errors.js';
import { redactFailure } from '../../security/redact-failure.js';
import { decideAfterRun, decideBeforeRun, describeError, type SettleDecision } from '../../settlement/settle-policy.js';
import { readHeaders } from '../../utils/headers.js';
import { afterResult, isPending } from '../attempt/handler-result.js';
import { runWithProcessingHooks, type ProcessingHooks } from '../processing-hooks.js';
import type { BatchObservation } from '../../observability/instrumentation.interface.js';
import { JetStreamBatchContext } from './jetstream-batch.context.js';

/** A message's settle decision after its batch ran, and what failed it (for the logs and the dead letter). */
export interface BatchDecision {
  readonly ctx: JetStreamContext;
  readonly decision: SettleDecision;
  readonly error?: unknown;
}

/** What one batch attempt needs of its runner. */
export interface BatchAttemptWiring {
  readonly codec: JetStreamCodec;
  readonly redact: (text: string) => string;
  /** The handler ran (error undefined) or failed, for each message it was given (metrics, tracing). */
  handled?(ctx: JetStreamContext, error: unknown): void;
  /** NestJS 12's processing hooks, run around the batch's one handler call (with its `JetStreamBatchContext`). */
  readonly hooks?: ProcessingHooks;
}

/** A batch before its handler runs: the decisions already made (out of attempts, does not decode) and what goes to the handler. */
export interface PreparedBatch {
  readonly early: BatchDecision[];
  readonly live: JetStreamContext[];
  readonly payloads: unknown[];
}

/**
 * The first step of an attempt at a batch: each message gated (attempts left) and decoded on its
 * own. A message out of attempts or that does not decode is decided alone (`early`: settled for
 * good at once), the rest (`live`) go to the handler together.
 */
export function prepareBatch(batch: readonly JetStreamContext[], binding: HandlerBinding, wiring: BatchAttemptWiring): PreparedBatch {
  const early: BatchDecision[] = [];
  const payloads: unknown[] = [];
  const live: JetStreamContext[] = [];
  for (const ctx of batch) {
    const decided = decideBeforeRun(ctx.attempt ?? ctx.getMessage().info.deliveryCount, binding);
    if (decided) {
      early.push({ ctx, decision: decided });
      continue;
    }
    try {
      payloads.push(decode(wiring.codec, ctx));
      live.push(ctx);
    } catch (error) {
      const reason = describeError(error, undefined, wiring.redact);
      early.push({ ctx, decision: { action: 'term', exhausted: false, reason }, error });
    }
  }
  return { early, live, payloads };
}

/**
 * The handler called once with the payloads and a `JetStreamBatchContext` (inside the processing
 * hooks and the batch's `observation`: a tracer's span), and one decision per message it left unsettled: return → ack,
 * throw → the usual settle rules for each message's own delivery count (nak with backoff, or term
 * / dead letter on its last attempt or for a poison error). A message the handler settled itself
 * (`messages[i].nak()`) keeps that; one abandoned at `handlerTimeout` meanwhile gets nothing.
 */
export async function runBatch(
  { live, payloads }: PreparedBatch,
  binding: HandlerBinding,
  wiring: BatchAttemptWiring,
  observation?: BatchObservation,
): Promise<BatchDecision[]> {
  const decisions: BatchDecision[] = [];
  if (live.length === 0) return decisions;
  const batchCtx = new JetStreamBatchContext(live);
  let outcome: { failed: boolean; thrown?: unknown } = { failed: false };
  const call = async (): Promise<void> => {
    outcome = await invoke(binding, payloads, batchCtx, observation);
  };
  // A start hook that throws (or never calls done) fails the batch like the handler would.
  if (wiring.hooks) await runWithProcessingHooks(wiring.hooks, batchCtx, call).catch((err: unknown) => void (outcome = { failed: true, thrown: err }));
  else await call();
  const { failed, thrown } = outcome;
  const error = failed ? redactFailure(batchCtx.handlerError ?? thrown, wiring.redact) : undefined;
  observation?.ended(error);
  for (const ctx of live) {
    if (ctx.abandoned) continue;
    wiring.handled?.(ctx, failed ? (error ?? new Error('batch handler failed')) : undefined);
    // Settled by the handler (or being dead-lettered by its ctx.term()), or left to it (manualAck).
    if (ctx.settled || ctx.pendingSettle || binding.manualAck) continue;
    const attempt = ctx.attempt ?? ctx.getMessage().info.deliveryCount;
    decisions.push(failed ? { ctx, decision: decideAfterRun(error, true, attempt, binding, wiring.redact), error } : { ctx, decision: { action: 'ack' } });
  }
  return decisions;
}

/**
 * Calls the handler once with the whole batch (inside its span, when traced), and waits for what
 * it returned (a Promise, an Observable).
 */
async function invoke(
  binding: HandlerBinding,
  payloads: unknown[],
  ctx: JetStreamBatchContext,
  observation?: BatchObservation,
): Promise<{ failed: boolean; thrown?: unknown }> {
  let result: unknown;
  const call = () => (binding.direct ? binding.direct(payloads, ctx) : binding.handler(payloads, ctx));
  try {
    result = observation ? observation.run(call) : call();
  } catch (thrown) {
    return { failed: true, thrown };
  }
  if (!isPending(result)) return { failed: false };
  return afterResult(result, (failed, thrown) => ({ failed, thrown }));
}

/** One message's payload, as the single-message pipeline decodes it (headers and subject only for codecs that take them). */
function decode(codec: JetStreamCodec, ctx: JetStreamContext): unknown {
  const msg = ctx.getMessage();
  try {
    const inputs = codec.decodeInputs;
    return codec.decode(msg.data, inputs?.headers === true ? msg.headers : undefined, inputs?.subject === true ? msg.subject : '');
  } catch (cause) {
    throw new DecodeError(msg.subject, msg.info.streamSequence, { cause, deadLetter: readHeaders(() => msg.headers).headers?.has(DeadLetterHeaders.Stream) });
  }
}
