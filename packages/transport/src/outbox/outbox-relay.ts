import { Logger, type LoggerService } from '@nestjs/common';
import type { JetStreamClient } from '../client/jetstream.client.js';
import { describeValue } from '../errors/describe-value.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { BatchDuplicateMsgIdError, BatchMixedStreamsError, BatchUnsupportedError } from '../publishing/batch-publish.errors.js';
import type { SqlExecutor } from '../sql/sql-executor.js';
import type { PendingOutboxEvent, SqlOutbox } from '../sql/sql-outbox.js';
import { ATOMIC_BATCH_MAX_MESSAGES } from '../utils/batch-limits.js';
import { toMillis, type Duration } from '../utils/duration.js';

/** Options of `OutboxRelay`. */
export interface OutboxRelayOptions {
  /** The outbox whose events it publishes. Required. */
  outbox: SqlOutbox<SqlExecutor>;
  /** The client it publishes with (its codec encodes each event's data). Required. */
  client: JetStreamClient;
  /** The client's named connection it publishes through (the `connections` option). Default `'default'`. */
  connection?: string;
  /** Events read, published and marked per pass (at most 1000, an atomic batch's limit). Default 100. */
  batchSize?: number;
  /** How long it waits between passes that found fewer than `batchSize` events; `wake()` cuts it short. Default `'1s'`. */
  interval?: Duration;
  /**
   * `'auto'`: each pass is one atomic batch where the server and stream allow it, single publishes
   * otherwise (events of several streams, nats-server before 2.12, a stream without `allow_atomic`);
   * `true`: only atomic batches (a pass that cannot be one fails); `false`: single publishes. Default `'auto'`.
   */
  atomic?: boolean | 'auto';
  /** Where it logs what it could not publish. Default Nest's `Logger` ('OutboxRelay'). */
  logger?: LoggerService;
}

/** What a relay has done since it was made. */
export interface OutboxRelayStats {
  /** Events published and marked sent (duplicates included). */
  relayed: number;
  /** Of those, events the stream already held (a relay that died between publish and mark, or a second relay). */
  duplicates: number;
  /** Passes published as one atomic batch. */
  atomicBatches: number;
  /** Passes that failed (retried at the next pass). */
  failedPasses: number;
}

const DEFAULTS = { batchSize: 100, interval: '1s' } as const;

/**
 * Publishes an outbox's events after their transactions commit, oldest first, each with its row id
 * as `Nats-Msg-Id`, then marks them sent. Publish comes before mark, so a relay that dies between
 * the two publishes the same events again on its next pass, and the stream's duplicate window
 * (`duplicateWindow`, 2 minutes by default) stores them once: no event is lost or stored twice as
 * long as a crashed relay is back within that window. Several relays (one per replica) are safe for
 * the same reason, at the cost of duplicate publishes.
 */
export class OutboxRelay {
  private readonly outbox: SqlOutbox<SqlExecutor>;
  private readonly client: JetStreamClient;
  private readonly connection?: string;
  private readonly batchSize: number;
  private readonly intervalMs: number;
  private readonly atomic: boolean | 'auto';
  private readonly logger: LoggerService;
  private batchesOff = false;
  private running?: Promise<void>;
  private stopping = false;
  private wakeUp?: () => void;
  /** A wake() during a pass: the next pass starts at once (the pass may have read before the events were added). */
  private woken = false;
  private readonly counts: OutboxRelayStats = { relayed: 0, duplicates: 0, atomicBatches: 0, failedPasses: 0 };

  constructor(options: OutboxRelayOptions) {
    const { outbox, client, batchSize = DEFAULTS.batchSize, interval = DEFAULTS.interval, atomic = 'auto' } = options ?? ({} as OutboxRelayOptions);
    if (typeof outbox?.pending !== 'function') throw new JetStreamConfigError(`OutboxRelay: outbox must be a SqlOutbox; got ${describeValue(outbox)}.`);
    if (typeof client?.publish !== 'function') throw new JetStreamConfigError(`OutboxRelay: client must be a JetStreamClient; got ${describeValue(client)}.`);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > ATOMIC_BATCH_MAX_MESSAGES) {
      throw new JetStreamConfigError(`OutboxRelay: batchSize is ${describeValue(batchSize)}; use a whole number from 1 to ${ATOMIC_BATCH_MAX_MESSAGES}.`);
    }
    if (atomic !== true && atomic !== false && atomic !== 'auto')
      throw new JetStreamConfigError(`OutboxRelay: atomic is ${describeValue(atomic)}; use 'auto', true or false.`);
    this.outbox = outbox;
    this.client = client;
    this.connection = options.connection;
    if (this.connection !== undefined) client.connections.assertKnown(this.connection, `OutboxRelay ${outbox.table}`);
    this.batchSize = batchSize;
    this.intervalMs = toMillis(interval, 'OutboxRelay interval');
    this.atomic = atomic;
    this.logger = options.logger ?? new Logger('OutboxRelay');
  }

  /** The outbox's table (the `table` label of its metrics). */
  get table(): string {
    return this.outbox.table;
  }

  /** How many events wait to be published (a `COUNT(*)` on the outbox). */
  async pendingCount(): Promise<number> {
    return await this.outbox.countPending();
  }

  /** A copy of what it has done so far. */
  get stats(): OutboxRelayStats {
    return { ...this.counts };
  }

  /** Creates the table if asked (`createTable`), then relays in the background until `stop()`. */
  async start(): Promise<void> {
    if (this.running) return;
    await this.outbox.init();
    this.stopping = false;
    this.running = this.loop();
  }

  /** Starts the next pass now (e.g. right after a transaction that added events committed). */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Lets the pass in progress finish (publish and mark), then stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.running;
    this.running = undefined;
  }

  /** One pass: reads up to `batchSize` pending events, publishes them, marks them sent; resolves with how many. */
  async relayOnce(): Promise<number> {
    const events = await this.outbox.pending(this.batchSize);
    if (events.length === 0) return 0;
    const published = await this.publish(events);
    await this.outbox.markSent(published.ids);
    this.counts.relayed += published.ids.length;
    this.counts.duplicates += published.duplicates;
    if (published.failure) throw published.failure;
    return events.length;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let full = false;
      this.woken = false;
      try {
        full = (await this.relayOnce()) === this.batchSize;
      } catch (err) {
        this.counts.failedPasses++;
        this.logger.warn(`Outbox ${this.outbox.table}: a pass failed, retried in ${this.intervalMs} ms: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (full || this.stopping || this.woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.intervalMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = undefined;
    }
  }

  /** The events published (ids) and how many were duplicates; a failure after some were published is returned, not thrown, so those get marked. */
  private async publish(events: PendingOutboxEvent[]): Promise<{ ids: string[]; duplicates: number; failure?: unknown }> {
    if (this.atomic === true || (this.atomic === 'auto' && !this.batchesOff)) {
      try {
        await this.client.publishBatch(
          events.map((e) => ({ subject: e.subject, data: e.data, msgId: e.id, ...(e.headers && { headers: e.headers }) })),
          { connection: this.connection },
        );
        this.counts.atomicBatches++;
        return { ids: events.map((e) => e.id), duplicates: 0 };
      } catch (err) {
        // Some of them were stored by a pass that died before its mark: single publishes dedup one by one.
        const fallback =
          err instanceof BatchDuplicateMsgIdError ||
          (this.atomic === 'auto' && (err instanceof BatchUnsupportedError || err instanceof BatchMixedStreamsError));
        if (!fallback) throw err;
        if (err instanceof BatchUnsupportedError) {
          this.batchesOff = true;
          this.logger.log(`Outbox ${this.outbox.table}: publishing events one by one (${err.message})`);
        }
      }
    }
    const results = await Promise.allSettled(
      events.map((e) => this.client.publish(e.subject, e.data, { msgId: e.id, connection: this.connection, ...(e.headers && { headers: e.headers }) })),
    );
    const ids: string[] = [];
    let duplicates = 0;
    let failure: unknown;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        ids.push(events[i].id);
        if (r.value.duplicate) duplicates++;
      } else failure ??= r.reason;
    });
    return { ids, duplicates, failure };
  }
}
