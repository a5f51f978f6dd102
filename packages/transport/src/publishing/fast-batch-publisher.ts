// Fast-ingest batches (ADR-50, nats-server 2.14, streams with allow_batched): not atomic, paced by
// the server's flow acks. Measured against nats-server 2.15.1 with @nats-io/jetstream 3.4.0:
// - a stream without allow_batched: 10205 "batch publish is disabled" on the first message, nothing stored;
// - a message on another stream's subject: that stream answers 10208 "batch publish ID unknown" and
//   the batch ends with what came before it stored: hence every subject is matched first;
// - a msgId already stored (or twice in the batch) is skipped, the others are stored; the ack's
//   `count` counts it anyway;
// - a subject no stream captures: nats.js fails with a JSON SyntaxError (no-responders), hence the lookup;
// - nats-server 2.9.10 ignores the batch protocol and would store the first message on its own:
//   hence the version check before anything is sent.
// The flow window itself is nats.js's (nats-adapter/fast-ingest-access.ts says why).
import { JetStreamApiError } from '@nats-io/jetstream';
import type { MsgHdrs, NatsConnection } from '@nats-io/nats-core';
import { JetStreamConfigError, JetStreamTransportError } from '../errors/jetstream-transport.error.js';
import { InvalidSubjectError } from '../errors/input.errors.js';
import type { FastBatchOptions } from '../interfaces/fast-batch-options.interface.js';
import type { PublishObserver } from '../observability/instrumentation.interface.js';
import { openFastIngest, type FastIngestAck, type FastIngestGap, type FastIngestHandle } from '../nats-adapter/fast-ingest-access.js';
import { FAST_BATCH_DEFAULTS, FAST_BATCH_MIN_SERVER } from '../utils/batch-limits.js';
import { toMillis } from '../utils/duration.js';
import { versionAtLeast } from '../utils/server-version.js';
import { subjectMatches, subjectProblem } from '../utils/subjects.js';
import { FastBatchError, FastBatchFailedError, FastBatchGapError, FastBatchMixedStreamsError, FastBatchUnsupportedError } from './fast-batch.errors.js';
import type { EncodedBatchMessage } from './batch-publisher.js';
import { batchMessageHeaders } from './batch-message.js';
import type { StreamFacts, StreamLookup } from './stream-lookup.js';

const BATCH_DISABLED = 10205;
/** What nats.js's FastIngest rejects with once the batch ended (its `closeErr` stays private). */
const BATCH_CLOSED = 'batch closed';

/** What `publishFastBatch()` resolves with once the server committed the batch. */
export interface FastBatchAck {
  stream: string;
  /** The batch's id (the server's batch id). */
  batch: string;
  /** Messages in the batch; a message skipped as a duplicate msgId counts too. */
  count: number;
  /** Stream sequence of the last stored message. */
  lastSeq: number;
  /** Batch sequences the server reported lost (only with `allowGaps: true`): `[lastSeq + 1, seq)` of each. */
  gaps: FastIngestGap[];
}

/** `FastBatchOptions` with every default applied. */
export interface ResolvedFastBatchOptions {
  ackInterval: number;
  maxOutstandingAcks: number;
  allowGaps: boolean;
  timeoutMs: number;
}

/** The options of one call over the client's defaults, the timeout defaulting to the publish timeout. */
export function resolveFastBatchOptions(defaults: FastBatchOptions | undefined, call: FastBatchOptions, publishTimeoutMs: number): ResolvedFastBatchOptions {
  const o = { ...FAST_BATCH_DEFAULTS, ...defaults, ...call };
  const timeout = call.timeout ?? defaults?.timeout;
  return {
    ackInterval: o.ackInterval,
    maxOutstandingAcks: o.maxOutstandingAcks,
    allowGaps: o.allowGaps,
    timeoutMs: timeout === undefined ? publishTimeoutMs : toMillis(timeout, 'publishFastBatch timeout'),
  };
}

/** Sends fast-ingest batches on one connection: checks first, then nats.js's flow window, then typed errors. */
export class FastBatchPublisher {
  constructor(
    private readonly nc: NatsConnection,
    private readonly streams: StreamLookup,
    private readonly serverVersion: () => string | undefined,
    /** The connection's inbox prefix (`connection.inboxPrefix`): the batch's flow acks come there. */
    private readonly inboxPrefix = '_INBOX',
    /** Told each batch's end (metrics): one event per batch, nothing per message. */
    private readonly observer?: PublishObserver,
  ) {}

  async publish(messages: AsyncIterable<EncodedBatchMessage> | Iterable<EncodedBatchMessage>, options: ResolvedFastBatchOptions): Promise<FastBatchAck> {
    if (!this.observer?.fastBatch) return this.send(messages, options);
    try {
      const ack = await this.send(messages, options);
      this.observer.fastBatch({ stream: ack.stream, sent: ack.count, stored: ack.count });
      return ack;
    } catch (error) {
      const failed = error instanceof FastBatchError ? error : undefined;
      this.observer.fastBatch({ stream: failed?.stream, sent: failed?.sent ?? 0, stored: 0, error });
      throw error;
    }
  }

  private async send(messages: AsyncIterable<EncodedBatchMessage> | Iterable<EncodedBatchMessage>, options: ResolvedFastBatchOptions): Promise<FastBatchAck> {
    const version = this.serverVersion();
    if (version !== undefined && !versionAtLeast(version, FAST_BATCH_MIN_SERVER)) {
      throw new FastBatchUnsupportedError(
        `nats-server ${version} has no fast-ingest batches (they arrived in nats-server ${FAST_BATCH_MIN_SERVER}; older servers would store the first message on its own): nothing was sent. Upgrade nats-server to ${FAST_BATCH_MIN_SERVER} or newer, or use publishBatch() (2.12+, atomic, at most 1000 messages) or pipelined publish().`,
      );
    }
    let batch: FastIngestHandle | undefined;
    let stream: StreamFacts | undefined;
    let sent = 0;
    let held: EncodedBatchMessage | undefined;
    // A stop on our side (a bad subject, another stream, the producer threw): what came before is
    // committed (it is stored either way, a fast batch is not atomic), then `make` says so.
    const stop = async (make: (sent: number, batchId?: string) => unknown): Promise<unknown> => {
      if (held) {
        sent++;
        const last = held;
        held = undefined;
        batch = await this.commit(batch, last, options).then(
          (c) => c.batch,
          () => batch,
        );
      }
      return make(sent, batch?.batch);
    };
    const source = Symbol.asyncIterator in messages ? messages[Symbol.asyncIterator]() : toAsync(messages[Symbol.iterator]());
    try {
      for (;;) {
        const next = await source.next().catch(async (err: unknown) => {
          throw await stop(() => err);
        });
        if (next.done) break;
        const m = next.value;
        const why = subjectProblem(m?.subject, false);
        if (why) throw await stop(() => new InvalidSubjectError(String(m?.subject), why, 'publish'));
        if (!stream) {
          stream = await this.streams.facts(m.subject);
          if (!stream.allowBatched)
            throw new FastBatchUnsupportedError(
              `Stream ${stream.name} (which captures "${m.subject}") does not allow fast-ingest batches (allow_batched): nothing was sent. Declare it with allowBatched: true (nats-server ${FAST_BATCH_MIN_SERVER}+).`,
              stream.name,
            );
        } else if (!stream.subjects.some((f) => subjectMatches(f, m.subject))) {
          const other = await this.streams.facts(m.subject).catch(() => undefined);
          const name = stream.name;
          throw await stop((n, id) => new FastBatchMixedStreamsError(name, m.subject, other?.name, n, id));
        }
        // One message is held back, so the last one commits the batch (no empty end-of-batch message).
        if (held) {
          sent++;
          if (!batch) batch = await this.open(held, options);
          else await batch.add(held.subject, held.payload, this.headersOf(held));
        }
        held = m;
      }
      if (!held || !stream) throw new JetStreamConfigError('publishFastBatch() needs at least one message.');
      sent++;
      const last = held;
      held = undefined;
      const { ack, batch: committed } = await this.commit(batch, last, options);
      return { stream: ack.stream, batch: ack.batch, count: ack.count, lastSeq: ack.seq, gaps: [...committed.gaps] };
    } catch (err) {
      await Promise.resolve(source.return?.()).catch(() => undefined); // the producer's finally blocks run
      throw await this.failure(err, batch, stream?.name, sent);
    }
  }

  private open(first: EncodedBatchMessage, options: ResolvedFastBatchOptions): Promise<FastIngestHandle> {
    return openFastIngest(this.nc, first.subject, first.payload, this.headersOf(first), { ...options, inboxPrefix: this.inboxPrefix });
  }

  /** Sends `last` as the batch's last message (starting the batch if it is the only one) and waits for the commit. */
  private async commit(
    batch: FastIngestHandle | undefined,
    last: EncodedBatchMessage,
    options: ResolvedFastBatchOptions,
  ): Promise<{ ack: FastIngestAck; batch: FastIngestHandle }> {
    if (batch) return { ack: await batch.last(last.subject, last.payload, this.headersOf(last)), batch };
    const started = await this.open(last, options);
    return { ack: await started.end(), batch: started };
  }

  /** The typed error for `err`, with the server's own reason when nats.js only says "batch closed". */
  private async failure(err: unknown, batch: FastIngestHandle | undefined, stream: string | undefined, sent: number): Promise<unknown> {
    if (err instanceof FastBatchError || err instanceof JetStreamTransportError || !stream) return err;
    // nats.js closed the batch on the server's error and says only "batch closed": done() holds the reason.
    const closed = batch && err instanceof Error && err.message === BATCH_CLOSED;
    const reason = closed
      ? await batch.done().then(
          () => err,
          (e: unknown) => e,
        )
      : err;
    if (reason instanceof JetStreamApiError) {
      const api = reason.apiError();
      if (api.err_code === BATCH_DISABLED) {
        this.streams.forget(stream);
        return new FastBatchUnsupportedError(
          `Stream ${stream} does not allow fast-ingest batches (allow_batched): nothing was stored. Declare it with allowBatched: true.`,
          stream,
          api.err_code,
          { cause: reason },
        );
      }
      // The server reports a gap (nats.js records it) before it aborts a batch started with allowGaps: false.
      if ((batch && batch.gaps.length > 0) || /gap/i.test(api.description))
        return new FastBatchGapError(stream, sent, batch?.batch ?? '(not started)', api.err_code, api.description, { cause: reason });
      return new FastBatchFailedError(stream, sent, batch?.batch, `the server refused it: ${api.description} (${api.err_code})`, api.err_code, {
        cause: reason,
      });
    }
    const text = reason instanceof Error ? reason.message : String(reason);
    return new FastBatchFailedError(stream, sent, batch?.batch, text, undefined, { cause: reason });
  }

  private headersOf(m: EncodedBatchMessage): MsgHdrs | undefined {
    return batchMessageHeaders(m.subject, m.options);
  }
}

async function* toAsync<T>(it: Iterator<T>): AsyncGenerator<T> {
  for (let n = it.next(); !n.done; n = it.next()) yield n.value;
}
