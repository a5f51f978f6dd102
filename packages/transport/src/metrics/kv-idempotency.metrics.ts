import { Counter, register as defaultRegistry, type Registry } from 'prom-client';
import type { KvIdempotencyStats, KvIdempotencyStatsSource } from '../idempotency/kv-idempotency-stats.js';
import { checkedPrefix } from './metric-prefix.js';
import { KV_IDEMPOTENCY_METRIC_NAMES } from './metric-names.js';

/** Options of `KvIdempotencyMetrics`. */
export interface KvIdempotencyMetricsOptions {
  /** The registry the metrics go in. Default prom-client's global registry. */
  registry?: Registry;
  /** Prefix of every metric name. Default `nest_jetstream_`, as `JetStreamMetrics`. */
  prefix?: string;
}

/**
 * Prometheus metrics of `KvIdempotencyStore`s, read from their counts at each scrape (the store
 * pays two integer increments per message, metrics or not): lookups by result (`new`: the handler
 * runs, `duplicate`: skipped), keys recorded by result (`recorded`, `existed`: another instance
 * recorded it first), and bucket errors. Label `bucket` (as many series as stores). `watch(store)` adds one.
 */
export class KvIdempotencyMetrics {
  private readonly stores = new Set<KvIdempotencyStatsSource>();

  constructor(options: KvIdempotencyMetricsOptions = {}) {
    const registry = options.registry ?? defaultRegistry;
    const prefix = checkedPrefix('KvIdempotencyMetrics', options.prefix);
    const stores = this.stores;
    const counter = (name: string, help: string, labelNames: string[], read: (s: Readonly<KvIdempotencyStats>) => Record<string, number>) =>
      new Counter({
        name: prefix + name,
        help,
        labelNames: ['bucket', ...labelNames],
        registers: [registry],
        collect() {
          this.reset();
          for (const store of stores) {
            const bucket = store.knownBucketName ?? 'unknown';
            const byLabel = read(store.stats);
            const [label] = labelNames;
            for (const [value, n] of Object.entries(byLabel)) this.inc(label ? { bucket, [label]: value } : { bucket }, n);
          }
        },
      });
    counter(
      KV_IDEMPOTENCY_METRIC_NAMES.checks,
      'Idempotency lookups in the KV bucket, by result (new: the handler runs; duplicate: the delivery is skipped).',
      ['result'],
      (s) => ({
        new: s.checkedNew,
        duplicate: s.checkedDuplicate,
      }),
    );
    counter(
      KV_IDEMPOTENCY_METRIC_NAMES.records,
      'Idempotency keys written after a handler ran, by result (existed: another instance recorded it first).',
      ['result'],
      (s) => ({
        recorded: s.recorded,
        existed: s.recordExisted,
      }),
    );
    counter(KV_IDEMPOTENCY_METRIC_NAMES.errors, 'Idempotency lookups and records the KV bucket failed (the delivery is retried).', [], (s) => ({
      all: s.errors,
    }));
  }

  /** Reports this store's counts from now on (label `bucket`: its bucket, known after the server's `listen()`). */
  watch(store: KvIdempotencyStatsSource): this {
    this.stores.add(store);
    return this;
  }

  /** Stops reporting this store. */
  unwatch(store: KvIdempotencyStatsSource): this {
    this.stores.delete(store);
    return this;
  }
}
