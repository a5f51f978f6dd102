import type { KV } from '@nats-io/kv';
import type { KvIdempotencyStats } from './kv-idempotency-stats.js';
import { describeValue } from '../errors/describe-value.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { IdempotencyRecord, IdempotencyRecordOptions, IdempotencyStore } from '../interfaces/idempotency-store.interface.js';
import { toMillis, type Duration } from '../utils/duration.js';

/** Options of `KvIdempotencyStore`. */
export interface KvIdempotencyStoreOptions {
  /** An opened NATS KV bucket (`await new Kvm(nc).create('idempotency', { ttl, markerTTL })`). Required. */
  bucket: KV;
  /**
   * How long a key is kept, as a per-key TTL (`Nats-TTL`) when the bucket allows it (created with
   * `markerTTL`, nats-server 2.11+). Otherwise the bucket's own `ttl` (its max age) applies to every
   * key and this must be left out or equal it. Default: the bucket's `ttl`.
   */
  ttl?: Duration;
}

/** KV keys allow `[-/_=.a-zA-Z0-9]`; idempotency keys hold `:` and more: base64url keeps any key valid and distinct. */
function kvKey(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

/** The KV client's answer to a `create` of a key that exists (its message, as it does not export a class for it). */
function exists(err: unknown): boolean {
  return err instanceof Error && /wrong last sequence|key exists/i.test(err.message);
}

/**
 * Idempotency keys in a NATS KV bucket: no database, keys expire by themselves. `record` is a KV
 * `create` (it fails when the key exists: "insert or ignore"), `seen` a `get`. Unlike the SQL store
 * it cannot join the handler's database transaction (`tx` is refused), so a handler that dies after
 * its effects and before the key is recorded runs again on redelivery: its effects must be
 * idempotent themselves, or kept in the database with the SQL store. See docs/idempotency.md.
 */
export class KvIdempotencyStore implements IdempotencyStore<never> {
  private readonly bucket: KV;
  private readonly ttlMs?: number;
  /** The `Nats-TTL` of each key, when the bucket has per-key TTL; decided at `init()`. */
  private perKeyTtl?: string;
  /** The bucket's name, read at `init()` or by `bucketName()`. */
  private name?: string;
  private readonly counts: KvIdempotencyStats = { checkedNew: 0, checkedDuplicate: 0, recorded: 0, recordExisted: 0, errors: 0 };

  constructor(options: KvIdempotencyStoreOptions) {
    const { bucket, ttl } = options ?? ({} as KvIdempotencyStoreOptions);
    if (typeof bucket?.create !== 'function' || typeof bucket.get !== 'function' || typeof bucket.status !== 'function') {
      throw new JetStreamConfigError(
        `KvIdempotencyStore: bucket must be an opened NATS KV bucket (new Kvm(nc).create(name, …)); got ${describeValue(bucket)}.`,
      );
    }
    this.bucket = bucket;
    if (ttl !== undefined) {
      this.ttlMs = toMillis(ttl, 'KvIdempotencyStore ttl');
      if (this.ttlMs < 1000) throw new JetStreamConfigError(`KvIdempotencyStore: ttl is ${describeValue(ttl)}; the server's shortest per-key TTL is '1s'.`);
    }
  }

  /** Reads the bucket's settings (at `listen()`): per-key TTL where it has it, its max age otherwise; a bucket where keys never expire is refused. */
  async init(): Promise<void> {
    const status = await this.bucket.status();
    this.name = status.bucket;
    const bucketTtl = status.ttl;
    const perKey = status.streamInfo.config.allow_msg_ttl === true;
    if (this.ttlMs !== undefined && perKey) {
      this.perKeyTtl = `${Math.ceil(this.ttlMs / 1000)}s`;
      return;
    }
    if (this.ttlMs !== undefined && bucketTtl !== this.ttlMs) {
      throw new JetStreamConfigError(
        `KvIdempotencyStore: ttl ${this.ttlMs} ms needs per-key TTL, which bucket ${status.bucket} does not have (it was created without markerTTL, or nats-server is older than 2.11); its keys live ${bucketTtl > 0 ? `${bucketTtl} ms (its ttl)` : 'for ever'}. Create the bucket with markerTTL (nats-server 2.11+), or with ttl: ${this.ttlMs} and leave the store's ttl out.`,
      );
    }
    if (bucketTtl <= 0)
      throw new JetStreamConfigError(
        `KvIdempotencyStore: the keys of bucket ${status.bucket} would never expire (no ttl, no per-key TTL). Create the bucket with ttl (its max age, e.g. 86400000 for a day), or with markerTTL and give the store a ttl.`,
      );
  }

  /** The bucket's name (what `permissions()` grants rights on: `$KV.<bucket>.>`, `KV_<bucket>`); read from the server once. */
  async bucketName(): Promise<string> {
    this.name ??= (await this.bucket.status()).bucket;
    return this.name;
  }

  async seen(key: string): Promise<boolean> {
    return (await this.lookup(key)) !== undefined;
  }

  /** Counts since this store was made (plain numbers: kept whether or not anyone reads them). */
  get stats(): Readonly<KvIdempotencyStats> {
    return { ...this.counts };
  }

  /** The bucket's name once known (after `init()`), for labels. */
  get knownBucketName(): string | undefined {
    return this.name;
  }

  async lookup(key: string): Promise<IdempotencyRecord | undefined> {
    const entry = await this.bucket.get(kvKey(key)).catch((err: unknown) => {
      this.counts.errors++;
      throw err;
    });
    if (!entry || entry.operation !== 'PUT') {
      this.counts.checkedNew++;
      return undefined;
    }
    this.counts.checkedDuplicate++;
    const result = entry.length > 0 ? entry.string() : undefined;
    return { key, recordedAt: entry.created, ...(result !== undefined && { result }) };
  }

  async record(key: string, options: IdempotencyRecordOptions<never> = {}): Promise<boolean> {
    if (options.tx !== undefined)
      throw new JetStreamConfigError(
        'KvIdempotencyStore.record(): a KV bucket cannot join a database transaction (tx); use SqlIdempotencyStore to record the key with your writes.',
      );
    try {
      await this.bucket.create(kvKey(key), options.result ?? '', this.perKeyTtl);
      this.counts.recorded++;
      return true;
    } catch (err) {
      if (exists(err)) {
        this.counts.recordExisted++;
        return false;
      }
      this.counts.errors++;
      throw err;
    }
  }

  /** Keys expire by themselves (per-key TTL or the bucket's max age): nothing to prune. */
  prune(): number {
    return 0;
  }
}
