import type { Duration } from '../utils/duration.js';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';

/** A value, or a Promise of it: a store may answer synchronously (better-sqlite3) or not (pg). */
export type MaybePromise<T> = T | Promise<T>;

/** What `record` is given besides the key. */
export interface IdempotencyRecordOptions<Tx = unknown> {
  /**
   * The application's transaction (for the SQL store: an executor bound to it), so the key
   * commits, or rolls back, with the application's own writes. Default: the store's own connection.
   */
  tx?: Tx;
  /** Text kept with the key (e.g. the outcome to publish again on a redelivery), read back with `lookup`. Default none. */
  result?: string;
}

/** One recorded key, as `lookup` returns it. */
export interface IdempotencyRecord {
  key: string;
  recordedAt: Date;
  /** What `record` was given as `result`, if anything. */
  result?: string;
}

/**
 * Where the keys of processed messages are kept. The library calls `seen` before an `idempotent`
 * handler runs (a recorded key is acked without running it) and `record` after it succeeded;
 * a handler may record the key itself, inside its own transaction, to make its writes and the
 * key one atomic step. Methods may return plain values or Promises.
 */
export interface IdempotencyStore<Tx = unknown> {
  /** Whether `key` was recorded (read inside `tx` when given). */
  seen(key: string, tx?: Tx): MaybePromise<boolean>;
  /** Records `key`, doing nothing when it already is ("insert or ignore"); true when the key was new. */
  record(key: string, options?: IdempotencyRecordOptions<Tx>): MaybePromise<boolean>;
  /** Removes the keys recorded more than `olderThan` ago; returns how many. Needed for `idempotency.pruneInterval`. */
  prune?(olderThan: Duration): MaybePromise<number>;
  /** Called once by the server at `listen()`, before any handler runs (e.g. to create a table). */
  init?(): MaybePromise<void>;
}

/** `JetStreamServerOptions.idempotency`: the store of every `idempotent` handler, and its pruning. */
export interface IdempotencyOptions {
  /** Where processed keys are kept: `new SqlIdempotencyStore(...)`, or `new MemoryIdempotencyStore()` for tests. Required. */
  store: IdempotencyStore;
  /**
   * How often the server prunes keys older than `retain` while it runs (an unref'd timer, stopped
   * by `close()`). Default none: the library never prunes; call `store.prune()` yourself.
   */
  pruneInterval?: Duration;
  /**
   * How long a key is kept. It must outlast every way a message can come back: the stream's
   * `duplicateWindow` (for msgId keys) and the longest redelivery, `maxDeliver × (backoff + ackWait)`
   * (checked at `listen()` when `pruneInterval` is set). Default `'1d'`.
   */
  retain?: Duration;
}

/** Which key an `idempotent` handler's messages are known by. */
export type IdempotencyKeyKind = 'sequence' | 'msgId' | 'custom';

/**
 * `@JetStreamEvent(subject, { idempotent })`: `true` keys each message by its stream and stream
 * sequence (`'<stream>:<seq>'`); `key: 'msgId'` by the publisher's `Nats-Msg-Id` (falling back
 * to stream and sequence when absent); a function makes the key from the context.
 */
export type IdempotentOption = boolean | { key?: 'sequence' | 'msgId' | ((ctx: JetStreamContext) => string) };
