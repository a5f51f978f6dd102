import { DEFAULTS } from '../constants.js';
import { DecodeError, JetStreamTermError } from '../errors/handler.errors.js';

/** The ack/nak/term decision for one delivery: pure, so it is unit-tested without a server. */
export interface AttemptPolicy {
  /** Attempts the library allows; the server's `max_deliver` is one more, so an attempt that never settled is still seen. */
  maxDeliver: number;
  /** Nak delay per failed attempt in ms; the last entry repeats. */
  backoffMs: number[];
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

/** After the handler: success acks; a poison error terms; other errors nak with backoff until attempts run out. */
export function decideAfterRun(error: unknown, failed: boolean, deliveryCount: number, policy: AttemptPolicy): SettleDecision {
  if (!failed) return { action: 'ack' };
  const why = describeError(error);
  if (isUnrecoverable(error)) return { action: 'term', exhausted: false, reason: why };
  if (deliveryCount >= policy.maxDeliver) {
    return { action: 'term', exhausted: true, reason: `failed on the last attempt (${deliveryCount}/${policy.maxDeliver}): ${why}` };
  }
  return { action: 'nak', delayMs: nakDelay(deliveryCount, policy.backoffMs) };
}

export function nakDelay(deliveryCount: number, backoffMs: number[]): number {
  if (backoffMs.length === 0) return 0;
  return backoffMs[Math.min(deliveryCount, backoffMs.length) - 1];
}

/**
 * Errors no retry can fix: the library's term and decode errors, and the 400/422
 * `HttpException`s that Nest pipes throw when validation fails.
 */
export function isUnrecoverable(error: unknown): boolean {
  if (error instanceof JetStreamTermError || error instanceof DecodeError) return true;
  if (typeof error === 'object' && error !== null) {
    const { name, getStatus } = error as { name?: unknown; getStatus?: unknown };
    if (name === 'JetStreamTermError' || name === 'DecodeError') return true;
    if (typeof getStatus === 'function') {
      const status: unknown = (getStatus as () => unknown).call(error);
      return status === 400 || status === 422;
    }
  }
  return false;
}

/** `Name: message`, bounded, for logs and term reasons. */
export function describeError(error: unknown, max: number = DEFAULTS.maxReasonLength): string {
  let text: string;
  if (error instanceof Error) text = `${error.name}: ${error.message}`;
  else if (typeof error === 'object' && error !== null && 'message' in error) text = String((error as { message: unknown }).message);
  else text = String(error);
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
