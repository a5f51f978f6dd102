/**
 * Prometheus metrics through prom-client (an optional peer dependency).
 * @module @nest-jetstream/transport/metrics
 */
export { JetStreamMetrics } from './jetstream.metrics.js';
export type { JetStreamMetricsOptions } from './jetstream.metrics.js';
export { METRIC_NAMES, OUTBOX_METRIC_NAMES, KV_IDEMPOTENCY_METRIC_NAMES, CRON_METRIC_NAMES, DEFAULT_METRIC_PREFIX } from './metric-names.js';
export { OutboxRelayMetrics } from './outbox-relay.metrics.js';
export type { OutboxRelayMetricsOptions } from './outbox-relay.metrics.js';
export { KvIdempotencyMetrics } from './kv-idempotency.metrics.js';
export type { KvIdempotencyMetricsOptions } from './kv-idempotency.metrics.js';
export { CronMetrics } from './cron.metrics.js';
export type { CronMetricsOptions } from './cron.metrics.js';
