import { toMillis, type Duration } from '../utils/duration.js';
import type { IdempotencyRecord, IdempotencyRecordOptions, IdempotencyStore } from '../interfaces/idempotency-store.interface.js';

/** Options of `MemoryIdempotencyStore`. */
export interface MemoryIdempotencyStoreOptions {
  /** The clock keys are stamped with, in ms. Default `Date.now`. */
  now?: () => number;
}

/**
 * Keys in this process's memory: for tests, and for a single process whose handlers' effects are
 * lost with it too. Nothing survives a restart, and other instances do not see these keys: a
 * service with several instances, or effects in a database, needs `SqlIdempotencyStore`. It
 * has no transaction to join (`tx` is ignored).
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly keys = new Map<string, { at: number; result?: string }>();
  private readonly now: () => number;

  constructor(options: MemoryIdempotencyStoreOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  seen(key: string): boolean {
    return this.keys.has(key);
  }

  record(key: string, options: IdempotencyRecordOptions = {}): boolean {
    if (this.keys.has(key)) return false;
    this.keys.set(key, { at: this.now(), result: options.result });
    return true;
  }

  /** The recorded key with its time and result, or undefined. */
  lookup(key: string): IdempotencyRecord | undefined {
    const entry = this.keys.get(key);
    return entry && { key, recordedAt: new Date(entry.at), ...(entry.result !== undefined && { result: entry.result }) };
  }

  prune(olderThan: Duration): number {
    const before = this.now() - toMillis(olderThan, 'MemoryIdempotencyStore.prune(olderThan)');
    let removed = 0;
    // A Map iterates in insertion order, which is recording order: stop at the first key to keep.
    for (const [key, { at }] of this.keys) {
      if (at >= before) break;
      this.keys.delete(key);
      removed++;
    }
    return removed;
  }

  /** How many keys are kept. */
  get size(): number {
    return this.keys.size;
  }
}
