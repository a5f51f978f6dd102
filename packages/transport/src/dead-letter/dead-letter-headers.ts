import { headers as createHeaders, type MsgHdrs } from '@nats-io/nats-core';
import { redactSecrets } from '../security/redact.js';

/**
 * The headers a dead letter carries, besides every header of the original message.
 * A documented contract: dead-letter handlers and the redrive read them.
 */
export const DeadLetterHeaders = {
  /** The subject the message was published to. */
  Subject: 'Dead-Letter-Subject',
  Stream: 'Dead-Letter-Stream',
  Sequence: 'Dead-Letter-Sequence',
  Consumer: 'Dead-Letter-Consumer',
  /** Deliveries of the original when it was dead-lettered. */
  Deliveries: 'Dead-Letter-Deliveries',
  /** `ErrorName: message`, at most 256 characters, credentials redacted. */
  Reason: 'Dead-Letter-Reason',
  /** ISO time of dead-lettering. */
  Time: 'Dead-Letter-Time',
  /** The original `Nats-Msg-Id`, moved so the dead-letter stream's own dedup cannot drop it. */
  MsgId: 'Dead-Letter-Msg-Id',
} as const;

/** The prefix of every dead-letter header; the redrive removes all of them. */
export const DEAD_LETTER_HEADER_PREFIX = 'Dead-Letter-';
/** Headers that would act on the dead-letter stream (dedup, expectations, rollups, TTL), kept under a `Dead-Letter-Original-` name. */
const SERVER_CONTROL = /^Nats-(Msg-Id|Expected-.*|Rollup|TTL|Schedule.*|Marker-Reason|Batch-.*)$/i;
const ORIGINAL_PREFIX = 'Dead-Letter-Original-';

export interface DeadLetterFacts {
  subject: string;
  stream: string;
  sequence: number;
  consumer: string;
  deliveries: number;
  reason: string;
  time: Date;
}

/** The dead letter's msgId: one dead letter per original message, whichever path sends it. */
export function deadLetterMsgId(stream: string, sequence: number): string {
  return `dlq:${stream}:${sequence}`;
}

/** Original headers, values untouched, plus the contract; server-control headers are moved aside. Pure. */
export function buildDeadLetterHeaders(original: MsgHdrs | undefined, facts: DeadLetterFacts): MsgHdrs {
  const h = createHeaders();
  if (original) {
    for (const key of original.keys()) {
      if (key.toLowerCase() === 'nats-msg-id') continue;
      const name = SERVER_CONTROL.test(key) ? `${ORIGINAL_PREFIX}${key}` : key;
      for (const value of original.values(key)) h.append(name, value);
    }
    const msgId = original.get('Nats-Msg-Id');
    if (msgId) h.set(DeadLetterHeaders.MsgId, msgId);
  }
  h.set(DeadLetterHeaders.Subject, facts.subject);
  h.set(DeadLetterHeaders.Stream, facts.stream);
  h.set(DeadLetterHeaders.Sequence, String(facts.sequence));
  h.set(DeadLetterHeaders.Consumer, facts.consumer);
  h.set(DeadLetterHeaders.Deliveries, String(facts.deliveries));
  h.set(DeadLetterHeaders.Reason, redactSecrets(facts.reason).replace(/[\r\n]+/g, ' '));
  h.set(DeadLetterHeaders.Time, facts.time.toISOString());
  return h;
}

/** The original headers of a dead letter: every `Dead-Letter-*` header removed, moved ones put back (but the msgId). Pure. */
export function originalHeaders(deadLetter: MsgHdrs | undefined): MsgHdrs | undefined {
  if (!deadLetter) return undefined;
  const h = createHeaders();
  let any = false;
  for (const key of deadLetter.keys()) {
    let name = key;
    if (key.startsWith(ORIGINAL_PREFIX)) name = key.slice(ORIGINAL_PREFIX.length);
    else if (key.startsWith(DEAD_LETTER_HEADER_PREFIX)) continue;
    // Expectations and rollups described the original publish; replaying them would fail or purge.
    if (/^Nats-(Expected-.*|Rollup)$/i.test(name)) continue;
    for (const value of deadLetter.values(key)) h.append(name, value);
    any = true;
  }
  return any ? h : undefined;
}

/** The contract fields of a dead letter, for a handler of the dead-letter subject. */
export function readDeadLetter(h: MsgHdrs | undefined): (DeadLetterFacts & { msgId?: string }) | undefined {
  const get = (k: string) => (h?.has(k) ? h.get(k) : undefined);
  const stream = get(DeadLetterHeaders.Stream);
  if (!h || !stream) return undefined;
  return {
    subject: get(DeadLetterHeaders.Subject) ?? '',
    stream,
    sequence: Number(get(DeadLetterHeaders.Sequence)),
    consumer: get(DeadLetterHeaders.Consumer) ?? '',
    deliveries: Number(get(DeadLetterHeaders.Deliveries)),
    reason: get(DeadLetterHeaders.Reason) ?? '',
    time: new Date(get(DeadLetterHeaders.Time) ?? 0),
    msgId: get(DeadLetterHeaders.MsgId),
  };
}
