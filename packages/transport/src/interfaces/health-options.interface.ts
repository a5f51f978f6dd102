import type { Duration } from '../utils/duration.js';

/** `health` options (server and client). */
export interface HealthOptions {
  /** The NATS monitoring endpoint, e.g. `'http://nats:8222'`, for `GET /healthz?js-enabled-only=true`. Default none: the check says it is not configured. */
  monitorUrl?: string;
  /** Each server round trip of a check must answer within this. Default `'2s'`. */
  timeout?: Duration;
  /** A report is reused for this long, so frequent probes cost the server nothing more. Default `'1s'`. */
  cacheTtl?: Duration;
  /** A consumer with more unprocessed messages than this makes readiness down. Default 10000. Per handler: `@JetStreamEvent(s, { lag })`. */
  maxPending?: number;
  /** A consumer whose oldest unprocessed message is older than this makes readiness down. Default `'5m'`. Per handler: `lag.maxAge`. */
  maxAge?: Duration;
  /** A dead-letter stream holding more messages than this makes readiness down. Default none (the depth is reported only). */
  deadLetterMaxDepth?: number;
  /** Storage used over this fraction of a stream's `max_bytes` or the account's limit makes readiness down. Default 0.9. */
  storageUsageMax?: number;
  /**
   * The storage check also writes: a publish with PubAck to the health stream, which proves JetStream takes
   * writes. Its stream is created at `listen()` in `create-or-update` and must exist in `verify`/`off`.
   * Default `false`: the check compares storage use with the limits only, and no health stream exists.
   */
  storageWrite?: boolean;
  /** The stream the storage check writes to (with `storageWrite: true` only). Default `<SERVICENAME>_HEALTH`. */
  stream?: string;
}

/** Per-handler lag thresholds (`@JetStreamEvent(subject, { lag })`); each falls back to the module's `health` option. */
export interface LagThresholds {
  maxPending?: number;
  maxAge?: Duration;
}
