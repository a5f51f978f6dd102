/** Every metric `JetStreamMetrics` exports, without the prefix (default `nest_jetstream_`). The alert rules and the dashboard use these names. */
export const METRIC_NAMES = {
  publishDuration: 'publish_duration_seconds',
  publishErrors: 'publish_errors_total',
  publishDuplicates: 'publish_duplicates_total',
  handlerDuration: 'handler_duration_seconds',
  settled: 'messages_settled_total',
  redeliveries: 'redeliveries_total',
  ackLatency: 'ack_latency_seconds',
  consumerPending: 'consumer_pending_messages',
  consumerAckPending: 'consumer_ack_pending_messages',
  consumerRedelivered: 'consumer_redelivered_messages',
  consumerOldestAge: 'consumer_oldest_unprocessed_age_seconds',
  consumerPaused: 'consumer_paused',
  consumerPinHeld: 'consumer_pin_held',
  streamMessages: 'stream_messages',
  streamBytes: 'stream_bytes',
  streamUtilization: 'stream_storage_utilization_ratio',
  streamHasLeader: 'stream_has_leader',
  leaderChanges: 'leader_changes_total',
  connected: 'connected',
  reconnects: 'reconnects_total',
  recoveries: 'recoveries_total',
  fastBatches: 'fast_batches_total',
  fastBatchMessages: 'fast_batch_messages_total',
} as const;

export const DEFAULT_METRIC_PREFIX = 'nest_jetstream_';

/** The metrics `OutboxRelayMetrics` exports (label `table`), without the prefix. */
export const OUTBOX_METRIC_NAMES = {
  published: 'outbox_published_total',
  duplicates: 'outbox_duplicates_total',
  failedPasses: 'outbox_failed_passes_total',
  pending: 'outbox_pending_events',
} as const;

/** The metrics `KvIdempotencyMetrics` exports (label `bucket`), without the prefix. */
export const KV_IDEMPOTENCY_METRIC_NAMES = {
  checks: 'kv_idempotency_checks_total',
  records: 'kv_idempotency_records_total',
  errors: 'kv_idempotency_errors_total',
} as const;

/** The metrics `CronMetrics` exports (label `service`), without the prefix. */
export const CRON_METRIC_NAMES = {
  scheduleChanges: 'cron_schedule_changes_total',
  jobs: 'cron_jobs',
  lastProvisioned: 'cron_last_provisioned_timestamp_seconds',
} as const;
