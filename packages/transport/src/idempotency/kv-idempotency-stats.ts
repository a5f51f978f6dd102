// What a KV idempotency store counts, in a file of its own: the metrics read it without importing
// the store, whose types need the optional peer dependency @nats-io/kv.

/** What a `KvIdempotencyStore` did since it was made (what `KvIdempotencyMetrics` reports). */
export interface KvIdempotencyStats {
  /** Lookups that found no key: the delivery's handler runs. */
  checkedNew: number;
  /** Lookups that found the key: a duplicate delivery, skipped. */
  checkedDuplicate: number;
  /** Keys recorded after a handler ran. */
  recorded: number;
  /** Records that found the key already there (another instance handled a redelivery first). */
  recordExisted: number;
  /** Lookups and records the bucket failed (the delivery is retried). */
  errors: number;
}

/** What `KvIdempotencyMetrics` reads of a store: its counts and, once known, its bucket's name. */
export interface KvIdempotencyStatsSource {
  readonly stats: Readonly<KvIdempotencyStats>;
  readonly knownBucketName?: string;
}
