import { DecodeError, JetStreamTermError } from '../errors/handler.errors.js';
import { isPipeRejection } from '../nest-adapter/nest-internals.js';
import { describeError } from './error-detail.js';

// Where most callers have always found it.
export { describeError };

/** A class of errors (`instanceof` is checked). */
export type ErrorClass = abstract new (...args: never[]) => unknown;

/** The ack/nak/term decision for one delivery: pure, so it is unit-tested without a server. */
export interface AttemptPolicy {
  /** Attempts the library allows; the server's `max_deliver` is one more, so an attempt that never settled is still seen. */
  maxDeliver: number;
  /** Nak delay per failed attempt in ms; the last entry repeats. */
  backoffMs: number[];
  /** Error classes the app declares poison: terminated (or dead-lettered) at once, never retried. */
  poisonErrors?: readonly ErrorClass[];
}

export type SettleDecision =
  | { action: 'ack' }
  | { action: 'nak'; delayMs: number }
  /** `exhausted`: attempts ran out, as opposed to a poison message. */
  | { action: 'term'; reason: string; exhausted: boolean };

/** Before running the handler: a delivery past the last allowed attempt means that attempt never settled (crash, hang). */
export function decideBeforeRun(deliveryCount: number, policy: AttemptPolicy): SettleDecision | undefined {
  if (deliveryCount <= policy.maxDeliver) return undefined;
  return {
    action: 'term',
    exhausted: true,
    reason: `delivery ${deliveryCount} exceeds maxDeliver ${policy.maxDeliver}: the last attempt never settled (crash, or a handler that outlived ackWait)`,
  };
}

/**
 * After the handler: success acks; a poison error terms; other errors nak with backoff until attempts run out.
 * A term's reason is redacted by `redact` (the connection's redactor): it is passed on as it is.
 */
export function decideAfterRun(
  error: unknown,
  failed: boolean,
  deliveryCount: number,
  policy: AttemptPolicy,
  redact?: (text: string) => string,
): SettleDecision {
  if (!failed) return { action: 'ack' };
  // A retry has no reason: none is made (it was made and dropped on every failed attempt).
  if (isUnrecoverable(error, policy.poisonErrors)) return { action: 'term', exhausted: false, reason: describeError(error, undefined, redact) };
  if (deliveryCount >= policy.maxDeliver) {
    return {
      action: 'term',
      exhausted: true,
      reason: `failed on the last attempt (${deliveryCount}/${policy.maxDeliver}): ${describeError(error, undefined, redact)}`,
    };
  }
  return { action: 'nak', delayMs: nakDelay(deliveryCount, policy.backoffMs) };
}

export function nakDelay(deliveryCount: number, backoffMs: number[]): number {
  if (backoffMs.length === 0) return 0;
  return backoffMs[Math.min(deliveryCount, backoffMs.length) - 1];
}

/**
 * Errors no retry can fix: the library's term and decode errors, a 400/422 `HttpException` that a
 * Nest pipe threw (validation failed: the message itself is invalid; the same status thrown by the
 * handler, e.g. from a downstream call, is retried), and the classes the app declares poison.
 */
export function isUnrecoverable(error: unknown, poisonErrors: readonly ErrorClass[] = []): boolean {
  if (error instanceof JetStreamTermError || error instanceof DecodeError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { name, getStatus } = error as { name?: unknown; getStatus?: unknown };
  if (name === 'JetStreamTermError' || name === 'DecodeError') return true;
  for (const poison of poisonErrors) if (error instanceof poison) return true;
  if (typeof getStatus === 'function' && isPipeRejection(error)) {
    const status: unknown = (getStatus as () => unknown).call(error);
    return status === 400 || status === 422;
  }
  return false;
}
