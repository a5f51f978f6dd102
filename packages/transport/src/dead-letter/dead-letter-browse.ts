import type { JetStreamManager, MsgRequest, StoredMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/nats-core';
import { subjectMatches } from '../utils/subjects.js';
import { readDeadLetter, type DeadLetterFacts } from './dead-letter-headers.js';

/** Which dead letters a list, peek or redrive looks at; every field is optional (default all). */
export interface DeadLetterFilter {
  /** Only dead letters whose original subject matches this (wildcards allowed). */
  subject?: string;
  /** Only dead letters that came from this stream. */
  fromStream?: string;
  /** Only original stream sequences from this one (inclusive). */
  fromSequence?: number;
  /** Only original stream sequences up to this one (inclusive). */
  toSequence?: number;
  /** Only dead letters whose reason contains this text (case-insensitive). */
  reason?: string;
}

/** One dead letter as the header contract describes it, and where it sits in the dead-letter stream. */
export interface DeadLetterEntry extends DeadLetterFacts {
  /** Its sequence in the dead-letter stream (what `peek` takes). */
  deadLetterSequence: number;
  /** The dead-letter subject it was published to. */
  deadLetterSubject: string;
  /** Payload size in bytes. */
  size: number;
}

/** Whether a message's dead-letter headers pass `filter` (a message without them never does). */
export function matchesDeadLetter(headers: MsgHdrs | undefined, filter: DeadLetterFilter): boolean {
  const dl = readDeadLetter(headers);
  if (!dl) return false;
  if (filter.subject && !subjectMatches(filter.subject, dl.subject)) return false;
  if (filter.fromStream && dl.stream !== filter.fromStream) return false;
  if (filter.fromSequence !== undefined && dl.sequence < filter.fromSequence) return false;
  if (filter.toSequence !== undefined && dl.sequence > filter.toSequence) return false;
  if (filter.reason && !dl.reason.toLowerCase().includes(filter.reason.toLowerCase())) return false;
  return true;
}

/** A stored message as a dead-letter entry, or undefined when it carries no dead-letter headers. */
export function deadLetterEntry(msg: StoredMsg): DeadLetterEntry | undefined {
  const facts = readDeadLetter(msg.header);
  return facts && { ...facts, deadLetterSequence: msg.seq, deadLetterSubject: msg.subject, size: msg.data.length };
}

/**
 * The dead letters of `stream` that pass `filter`, oldest first, at most `limit`. Read message by
 * message (STREAM.MSG.GET): no consumer is made and nothing is acknowledged or removed.
 */
export async function listDeadLetters(
  jsm: JetStreamManager,
  stream: string,
  filter: DeadLetterFilter,
  limit: number,
): Promise<{ entries: DeadLetterEntry[]; total: number }> {
  const info = await jsm.streams.info(stream);
  const entries: DeadLetterEntry[] = [];
  let seq = info.state.first_seq;
  while (entries.length < limit && seq <= info.state.last_seq && info.state.messages > 0) {
    // STREAM.MSG.GET takes next_by_subj with seq: the first message at or after seq (deleted ones skipped).
    const msg = await jsm.streams.getMessage(stream, { seq, next_by_subj: '>' } as unknown as MsgRequest).catch(() => null);
    if (!msg) break;
    seq = msg.seq + 1;
    if (!matchesDeadLetter(msg.header, filter)) continue;
    const entry = deadLetterEntry(msg);
    if (entry) entries.push(entry);
  }
  return { entries, total: info.state.messages };
}

/** One dead letter of `stream` by its sequence there, with its payload and every header; undefined when the stream has no such message. */
export async function peekDeadLetter(
  jsm: JetStreamManager,
  stream: string,
  sequence: number,
): Promise<{ entry?: DeadLetterEntry; msg: StoredMsg } | undefined> {
  const msg = await jsm.streams.getMessage(stream, { seq: sequence });
  return msg ? { entry: deadLetterEntry(msg), msg } : undefined;
}
