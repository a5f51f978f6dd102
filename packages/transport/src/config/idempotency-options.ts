import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { IDEMPOTENCY_OPTIONS } from './option-tables.js';
import type { IdempotencyOptions } from '../interfaces/idempotency-store.interface.js';

/** What `options.idempotency` needs beyond its fields' own checks (`IDEMPOTENCY_OPTIONS`), before anything connects. */
export function validateIdempotencyOptions(value: IdempotencyOptions | undefined, who: string): void {
  if (value === undefined) return;
  IDEMPOTENCY_OPTIONS.store(value.store, who, 'idempotency.store'); // required
  if (value.pruneInterval !== undefined && typeof value.store.prune !== 'function') {
    throw new JetStreamConfigError(
      `${who}: idempotency.pruneInterval is set, but the store has no prune(olderThan): give the store one, or remove pruneInterval.`,
    );
  }
}
