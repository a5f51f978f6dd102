/**
 * A duration: milliseconds as a number, or a number and a unit: `'250ms'`, `'30s'`, `'5m'`,
 * `'1.5h'`, `'2d'`. Typed as template literals, so `'10 sec'` or `'30S'` is a compile error; a
 * string read at runtime (e.g. from the environment) is checked at construction.
 */
export type Duration = number | `${number}ms` | `${number}s` | `${number}m` | `${number}h` | `${number}d`;

import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { describeValue } from '../errors/describe-value.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/;

/**
 * Converts a `Duration` to milliseconds. `what` names the option in the error,
 * e.g. `toMillis('3x', 'consumerDefaults.ackWait')`.
 */
export function toMillis(value: Duration, what: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new JetStreamConfigError(`${what} must be a non-negative number of milliseconds or a string like '30s'; got ${value}.`);
    }
    return value;
  }
  const match = typeof value === 'string' ? DURATION.exec(value) : null;
  if (!match) {
    throw new JetStreamConfigError(`${what} must be milliseconds or a string like '500ms', '30s', '5m', '1h', '2d'; got ${describeValue(value)}.`);
  }
  return Math.round(Number(match[1]) * UNIT_MS[match[2]]);
}

/**
 * A duration read at runtime (the environment, a config file), as milliseconds: what the typed
 * options take when the text is not known to the compiler, e.g.
 * `ackWait: parseDuration(process.env.ACK_WAIT ?? '30s', 'ACK_WAIT')`. Throws a
 * `JetStreamConfigError` naming `what` for anything else.
 */
export function parseDuration(value: string | number, what = 'duration'): number {
  return toMillis(value as Duration, what);
}

/** The server's wire unit: nanoseconds. The one place milliseconds become nanoseconds. */
export function millisToNanos(ms: number): number {
  return ms * 1_000_000;
}

/** `toMillis` then nanoseconds, for server configuration fields such as `ack_wait` and `max_age`. */
export function toNanos(value: Duration, what: string): number {
  return millisToNanos(toMillis(value, what));
}
