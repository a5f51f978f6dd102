// Atomic batch publish (ADR-50, nats-server 2.12): the messages of a batch carry `Nats-Batch-Id`
// and `Nats-Batch-Sequence`, the last one `Nats-Batch-Commit: 1`; the stream stores all of them at
// the commit, or none. Measured against nats-server 2.15.1 with @nats-io/jetstream 3.4.0:
// - the first message gets an empty reply when accepted (an error otherwise: 10174 "atomic publish
//   is disabled" on a stream without allow_atomic), the commit gets `{ stream, seq, batch, count }`
//   with `seq` the last message's; the batch is stored contiguously;
// - a message of the batch on another stream's subject: the commit is refused with 10176 "atomic
//   publish batch is incomplete" and neither stream stores anything;
// - an expectation not met (anywhere in the batch): 10071 "wrong last sequence", nothing stored;
// - a msgId already stored, or twice in the batch: 10201 "contains duplicate message id", nothing
//   stored (the server refuses the whole batch, it does not skip the duplicate);
// - 1001 messages: 10199 "atomic publish batch is too large: 1000"; 1000 are stored;
// - nats-server 2.9.10 ignores the batch headers and stores each message as it comes: hence the
//   version check before anything is sent.
// The client's own `startBatch()` drops the server's error at the commit (it reports only a count
// mismatch), so the protocol is spoken here, with core requests and the documented headers.
import { JetStreamApiError, PubHeaders, type PubAck } from '@nats-io/jetstream';
import { errors, headers as createHeaders, nuid, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { PublishFailedError } from '../errors/publish.errors.js';
import { InvalidSubjectError } from '../errors/input.errors.js';
import type { PublishObserver } from '../observability/instrumentation.interface.js';
import type { JetStreamPublishOptions } from '../record-builders/jetstream.record-builder.js';
import { versionAtLeast } from '../utils/server-version.js';
import { subjectMatches, subjectProblem } from '../utils/subjects.js';
import {
  BatchDuplicateMsgIdError,
  BatchExpectationFailedError,
  BatchMixedStreamsError,
  BatchRejectedError,
  BatchTooLargeError,
  BatchUnsupportedError,
} from './batch-publish.errors.js';
import { toPublishError } from './publisher.js';
import { batchMessageHeaders } from './batch-message.js';
import type { StreamFacts, StreamLookup } from './stream-lookup.js';
import { ATOMIC_BATCH_MAX_MESSAGES, ATOMIC_BATCH_MIN_SERVER } from '../utils/batch-limits.js';

const EXPECTATION_CODES = new Set([10060, 10070, 10071]);
const DUPLICATE_MSG_ID = 10201;
const TOO_LARGE = 10199;
const ATOMIC_DISABLED = 10174;
const INCOMPLETE = 10176;

/** One message of `publishBatch()`, encoded. */
export interface EncodedBatchMessage {
  subject: string;
  payload: Uint8Array;
  options: Pick<JetStreamPublishOptions, 'msgId' | 'headers' | 'expect'>;
}

/** What `publishBatch()` resolves with once the batch is stored. */
export interface BatchPubAck {
  stream: string;
  /** The batch's id (`Nats-Batch-Id`). */
  batch: string;
  count: number;
  /** Stream sequence of the first and of the last message (a batch is stored contiguously). */
  firstSeq: number;
  lastSeq: number;
}

interface ServerReply {
  error?: { code: number; err_code: number; description: string };
  stream?: string;
  seq?: number;
  batch?: string;
  count?: number;
}

/** Publishes atomic batches on one connection; streams are read once (`StreamLookup`) and matched locally. */
export class BatchPublisher {
  constructor(
    private readonly nc: NatsConnection,
    private readonly streams: StreamLookup,
    private readonly timeoutMs: number,
    private readonly serverVersion: () => string | undefined,
    private readonly observer?: PublishObserver,
  ) {}

  async publish(messages: readonly EncodedBatchMessage[], timeoutMs = this.timeoutMs): Promise<BatchPubAck> {
    if (!Array.isArray(messages) || messages.length === 0) throw new JetStreamConfigError('publishBatch() needs at least one message.');
    if (messages.length > ATOMIC_BATCH_MAX_MESSAGES) throw new BatchTooLargeError(messages.length, ATOMIC_BATCH_MAX_MESSAGES);
    const version = this.serverVersion();
    if (version !== undefined && !versionAtLeast(version, ATOMIC_BATCH_MIN_SERVER)) {
      throw new BatchUnsupportedError(
        `nats-server ${version} has no atomic batch publish (it arrived in nats-server ${ATOMIC_BATCH_MIN_SERVER}; older servers would store each message on its own): nothing was sent. Upgrade nats-server to ${ATOMIC_BATCH_MIN_SERVER} or newer, or publish the messages one by one.`,
      );
    }
    for (const m of messages) {
      const why = subjectProblem(m.subject, false);
      if (why) throw new InvalidSubjectError(String(m.subject), why, 'publish');
    }
    const stream = await this.streamOf(messages);
    const id = nuid.next();
    const hdrs = messages.map((m, i) => this.headersOf(m, id, i + 1, i === messages.length - 1));
    const tokens = this.observer ? messages.map((m, i) => this.observer?.started(m.subject, hdrs[i].get(PubHeaders.MsgIdHdr), () => hdrs[i])) : [];
    try {
      const ack = await this.send(messages, hdrs, id, stream, timeoutMs);
      tokens.forEach((t, i) => this.observer?.finished(t, { stream: ack.stream, seq: ack.firstSeq + i, duplicate: false } as PubAck));
      return ack;
    } catch (err) {
      for (const t of tokens) this.observer?.finished(t, undefined, err);
      throw err;
    }
  }

  private async send(messages: readonly EncodedBatchMessage[], hdrs: MsgHdrs[], id: string, stream: StreamFacts, timeoutMs: number): Promise<BatchPubAck> {
    const last = messages.length - 1;
    const request = async (i: number): Promise<ServerReply | undefined> => {
      try {
        const reply = await this.nc.request(messages[i].subject, messages[i].payload, { headers: hdrs[i], timeout: timeoutMs });
        return reply.data.length > 0 ? (reply.json() as ServerReply) : undefined;
      } catch (err) {
        if (err instanceof errors.TimeoutError)
          throw new PublishFailedError(
            messages[i].subject,
            `the atomic batch ${id} got no answer in ${timeoutMs} ms, so it is unknown whether it was stored (it is all or nothing). Publish it again with the same msgIds: a BatchDuplicateMsgIdError then means the first attempt was stored`,
            { cause: err },
          );
        throw toPublishError(err, messages[i].subject, messages[i].options);
      }
    };
    const first = await request(0);
    if (first?.error) throw this.refusal(first.error, id, messages.length, stream);
    if (last === 0) return this.ackOf(first, id, 1);
    for (let i = 1; i < last; i++) this.nc.publish(messages[i].subject, messages[i].payload, { headers: hdrs[i] });
    const commit = await request(last);
    if (commit?.error) throw this.refusal(commit.error, id, messages.length, stream);
    return this.ackOf(commit, id, messages.length);
  }

  private ackOf(reply: ServerReply | undefined, id: string, count: number): BatchPubAck {
    if (!reply || reply.seq === undefined || reply.stream === undefined)
      throw new BatchRejectedError(`the server answered the commit of batch ${id} without a sequence`, id, undefined);
    if (reply.count !== undefined && reply.count !== count)
      throw new BatchRejectedError(`the server stored ${reply.count} messages of the ${count} sent in batch ${id}`, id, undefined);
    return { stream: reply.stream, batch: id, count, firstSeq: reply.seq - count + 1, lastSeq: reply.seq };
  }

  private refusal(e: NonNullable<ServerReply['error']>, id: string, count: number, stream: StreamFacts): Error {
    const cause = new JetStreamApiError({ code: e.code, err_code: e.err_code, description: e.description });
    if (EXPECTATION_CODES.has(e.err_code)) return new BatchExpectationFailedError(e.description, id, e.err_code, { cause });
    if (e.err_code === DUPLICATE_MSG_ID) return new BatchDuplicateMsgIdError(id, e.err_code, { cause });
    if (e.err_code === TOO_LARGE)
      return new BatchTooLargeError(count, Number(/(\d+)\s*$/.exec(e.description)?.[1] ?? ATOMIC_BATCH_MAX_MESSAGES), id, e.err_code);
    // The stream changed since it was read (allow_atomic, subjects): read it again next time.
    this.streams.forget(stream.name);
    if (e.err_code === ATOMIC_DISABLED)
      return new BatchUnsupportedError(
        `Stream ${stream.name} does not allow atomic batches (allow_atomic): nothing was stored. Declare it with allowAtomic: true.`,
        stream.name,
        e.err_code,
      );
    const hint = e.err_code === INCOMPLETE ? ' (a message was lost on the way, or the stream changed its subjects since it was read)' : '';
    return new BatchRejectedError(`${e.description} (${e.err_code})${hint}`, id, e.err_code, { cause });
  }

  private headersOf(m: EncodedBatchMessage, id: string, seq: number, commit: boolean): MsgHdrs {
    const h = batchMessageHeaders(m.subject, m.options) ?? createHeaders();
    if (!m.options.msgId) h.set(PubHeaders.MsgIdHdr, nuid.next());
    h.set('Nats-Batch-Id', id);
    h.set('Nats-Batch-Sequence', String(seq));
    if (commit) h.set('Nats-Batch-Commit', '1');
    return h;
  }

  /** The one stream every subject of the batch goes to, with `allow_atomic`; typed errors otherwise, before anything is sent. */
  private async streamOf(messages: readonly EncodedBatchMessage[]): Promise<StreamFacts> {
    const stream = await this.streams.facts(messages[0].subject);
    if (!stream.allowAtomic)
      throw new BatchUnsupportedError(
        `Stream ${stream.name} (which captures "${messages[0].subject}") does not allow atomic batches (allow_atomic): nothing was sent. Declare it with allowAtomic: true (nats-server ${ATOMIC_BATCH_MIN_SERVER}+).`,
        stream.name,
      );
    for (const m of messages) {
      if (stream.subjects.some((f) => subjectMatches(f, m.subject))) continue;
      const other = await this.streams.facts(m.subject).catch(() => undefined);
      throw new BatchMixedStreamsError(stream.name, m.subject, other?.name);
    }
    return stream;
  }
}
