/**
 * The one file that reaches `startFastIngest()`, which `@nats-io/jetstream` 3.4 exports only from
 * `@nats-io/jetstream/internal` ("intended for companion packages to wrap; not part of the public
 * JetStreamClient API"). `fast-ingest-access.integration.spec.ts` pins what is used here against the
 * installed nats.js and a real nats-server, so a nats.js release that moves or reshapes it fails
 * that spec, not production.
 *
 * Why this internal and not our own implementation of the protocol (as `batch-publisher.ts` does
 * for atomic batches): fast ingest (ADR-50, nats-server 2.14) carries its state in the reply
 * subject of every message (`<inbox>.<batch>.<ackInterval>.<gapMode>.<seq>.<op>.$FI`) and paces the
 * producer with cumulative flow acks whose interval the server may change on the fly; the client's
 * `FastIngestImpl` is the NATS team's reference of that window (about 150 lines of state). Its two
 * weak spots are covered by the caller instead of by a copy: a subject no stream captures makes it
 * fail with a JSON `SyntaxError` (the no-responders status has no body), so the stream is looked up
 * first; and an error the server sends after the start reaches a later `add()` as a bare
 * "batch closed", so the real one is read from `done()`.
 *
 * Upstream note (what public API would let this file go): `js.startFastIngest()` on the public
 * `JetStreamClient`, with the server's error kept on the batch (`closeErr` is private) and a
 * no-responders status turned into `NoRespondersError`.
 */
import { startFastIngest } from '@nats-io/jetstream/internal';
import type { MsgHdrs, NatsConnection } from '@nats-io/nats-core';

/** What a fast-ingest batch is started with (the client's own option names). */
export interface FastIngestStart {
  /** Messages between two flow acks the producer asks for; the server may change it. */
  ackInterval: number;
  /** Flow windows in flight (1 to 3): at most `ackInterval * maxOutstandingAcks` messages unacknowledged. */
  maxOutstandingAcks: number;
  /** Go on past a message the server did not get (`true`), or have the server abort the batch (`false`). */
  allowGaps: boolean;
  /** The connection's inbox prefix: the batch's replies come to `<inboxPrefix>.<batch>.>`. */
  inboxPrefix: string;
  /** How long one wait for the server (the start, a full window, the commit) may take, in ms. */
  timeoutMs: number;
}

/** The terminal ack of a fast-ingest batch. */
export interface FastIngestAck {
  stream: string;
  /** Stream sequence of the last stored message. */
  seq: number;
  batch: string;
  /** Messages the batch held (duplicates by msgId included, though not stored twice). */
  count: number;
}

/** A message the server reported lost: batch sequences `[lastSeq + 1, seq)` did not reach it. */
export interface FastIngestGap {
  lastSeq: number;
  seq: number;
}

/** A started fast-ingest batch: the narrow part of nats.js's `FastIngest` this library uses. */
export interface FastIngestHandle {
  readonly batch: string;
  /** Sends one message; resolves at once while the flow window has room, after the next flow ack otherwise. */
  add(subject: string, payload: Uint8Array, headers: MsgHdrs | undefined): Promise<void>;
  /** Sends the last message and commits; resolves with the terminal ack. */
  last(subject: string, payload: Uint8Array, headers: MsgHdrs | undefined): Promise<FastIngestAck>;
  /** Commits without another message. */
  end(): Promise<FastIngestAck>;
  /** The batch's outcome: the terminal ack, or the error that ended it (the server's own, not "batch closed"). */
  done(): Promise<FastIngestAck>;
  /** The gaps the server reported so far (only with `allowGaps`; without it a gap ends the batch). */
  readonly gaps: readonly FastIngestGap[];
}

/** Starts a fast-ingest batch by publishing its first message; rejects with what the server answered. */
export async function openFastIngest(
  nc: NatsConnection,
  subject: string,
  payload: Uint8Array,
  headers: MsgHdrs | undefined,
  start: FastIngestStart,
): Promise<FastIngestHandle> {
  const { timeoutMs, ...options } = start;
  const fi = await startFastIngest(nc, subject, payload, { ...options, headers, timeout: timeoutMs }, timeoutMs);
  const gaps: FastIngestGap[] = [];
  // Subscribed at once: nats.js keeps no gap reported before gaps() is first called.
  void (async () => {
    for await (const g of fi.gaps()) gaps.push({ lastSeq: g.lastSeq, seq: g.seq });
  })().catch(() => undefined);
  return {
    batch: fi.batch,
    gaps,
    add: async (s, p, h) => {
      await fi.add(s, p, h ? { headers: h } : undefined);
    },
    last: (s, p, h) => fi.last(s, p, h ? { headers: h } : undefined),
    end: () => fi.end(),
    done: () => fi.done(),
  };
}
