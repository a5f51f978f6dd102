import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { describeValue } from '../utils/describe-value.js';
import { toMillis } from '../utils/duration.js';
import type { IdempotencyOptions } from './idempotency-store.interface.js';

const FIELDS = ['store', 'pruneInterval', 'retain'];

/** Checks `options.idempotency` before anything connects; every error names the field. */
export function validateIdempotencyOptions(value: unknown, who: string): void {
  if (value === undefined) return;
  const at = `${who}: idempotency`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new JetStreamConfigError(`${at} must be { store, pruneInterval?, retain? }; got ${describeValue(value)}.`);
  }
  const unknown = Object.keys(value).find((k) => !FIELDS.includes(k));
  if (unknown) throw new JetStreamConfigError(`${at} has an unknown field "${unknown}"; its fields are ${FIELDS.join(', ')}.`);
  const { store, pruneInterval, retain } = value as Partial<IdempotencyOptions>;
  if (typeof store?.seen !== 'function' || typeof store.record !== 'function') {
    throw new JetStreamConfigError(
      `${at}.store must have seen(key) and record(key), e.g. new SqlIdempotencyStore({ executor: sqliteExecutor(db), dialect: 'sqlite' }) or new MemoryIdempotencyStore(); got ${describeValue(store)}.`,
    );
  }
  if (pruneInterval !== undefined) {
    if (toMillis(pruneInterval, `${at}.pruneInterval`) <= 0) throw new JetStreamConfigError(`${at}.pruneInterval must be more than 0; got ${describeValue(pruneInterval)}.`);
    if (typeof store.prune !== 'function') {
      throw new JetStreamConfigError(`${at}.pruneInterval is set, but the store has no prune(olderThan): give the store one, or remove pruneInterval.`);
    }
  }
  if (retain !== undefined && toMillis(retain, `${at}.retain`) <= 0) throw new JetStreamConfigError(`${at}.retain must be more than 0; got ${describeValue(retain)}.`);
}
