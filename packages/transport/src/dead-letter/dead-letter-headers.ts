import { headers as createHeaders, type MsgHdrs } from '@nats-io/nats-core';
import { readStackHeader, stackHeaderValue } from '../settlement/error-detail.js';
import { DEAD_LETTER_HEADER_PREFIX, DeadLetterHeaders, LIMITS } from '../constants.js';
import { readHeaders, withoutControlCharacters } from '../utils/headers.js';
import { redactSecrets } from '../security/redact.js';

// The header names are identifiers, kept with the others in constants.ts (a runner reads one); exported from here, as before.
export { DeadLetterHeaders, DEAD_LETTER_HEADER_PREFIX, readHeaders };
/** Headers that would act on the dead-letter stream (dedup, expectations, rollups, TTL), kept under a `Dead-Letter-Original-` name. */
const SERVER_CONTROL = /^Nats-(Msg-Id|Expected-.*|Rollup|TTL|Schedule.*|Marker-Reason|Batch-.*)$/i;
const ORIGINAL_PREFIX = 'Dead-Letter-Original-';

export interface DeadLetterFacts {
  subject: string;
  stream: string;
  sequence: number;
  consumer: string;
  deliveries: number;
  /** Already redacted (see `AttemptWiring.redact`): it is published as it is, on one line. */
  reason: string;
  time: Date;
  /** The failing error's stack, when there was one (readDeadLetter gives it back with its line breaks). */
  stack?: string;
  /** Why the original's headers could not be parsed, when they could not. */
  headersUnreadable?: string;
  /** What was left out to fit `max_payload` (the `Dead-Letter-Trimmed` header), when something was. */
  trimmed?: string;
}

/** A received value as a dead letter may carry it: no control characters, at most `LIMITS.maxDeadLetterHeaderValue` characters. */
function boundedValue(value: string): { value: string; altered: boolean } {
  const clean = withoutControlCharacters(value);
  if (clean.text.length <= LIMITS.maxDeadLetterHeaderValue) return { value: clean.text, altered: clean.replaced };
  return { value: `${clean.text.slice(0, LIMITS.maxDeadLetterHeaderValue - 1)}…`, altered: true };
}

/** The dead letter's msgId: one dead letter per original message, whichever path sends it. */
export function deadLetterMsgId(stream: string, sequence: number): string {
  return `dlq:${stream}:${sequence}`;
}

/**
 * Original headers plus the contract; server-control headers are moved aside. Values are copied as
 * they came, but a value over `LIMITS.maxDeadLetterHeaderValue` characters is cut and control
 * characters are replaced (both listed in `Dead-Letter-Altered-Headers`). Pure.
 */
export function buildDeadLetterHeaders(original: MsgHdrs | undefined, facts: DeadLetterFacts, redact: (text: string) => string = redactSecrets): MsgHdrs {
  const h = createHeaders();
  const altered = new Set<string>();
  if (original) {
    for (const key of original.keys()) {
      if (key.toLowerCase() === 'nats-msg-id') continue;
      const name = SERVER_CONTROL.test(key) ? `${ORIGINAL_PREFIX}${key}` : key;
      for (const raw of original.values(key)) {
        const { value, altered: changed } = boundedValue(raw);
        if (changed) altered.add(key);
        h.append(name, value);
      }
    }
    const msgId = original.get('Nats-Msg-Id');
    if (msgId) {
      const { value, altered: changed } = boundedValue(msgId);
      if (changed) altered.add('Nats-Msg-Id');
      h.set(DeadLetterHeaders.MsgId, value);
    }
  }
  if (altered.size > 0) h.set(DeadLetterHeaders.Altered, [...altered].join(' '));
  if (facts.headersUnreadable) h.set(DeadLetterHeaders.HeadersUnreadable, withoutControlCharacters(facts.headersUnreadable).text);
  h.set(DeadLetterHeaders.Subject, facts.subject);
  h.set(DeadLetterHeaders.Stream, facts.stream);
  h.set(DeadLetterHeaders.Sequence, String(facts.sequence));
  h.set(DeadLetterHeaders.Consumer, facts.consumer);
  h.set(DeadLetterHeaders.Deliveries, String(facts.deliveries));
  // The reason comes redacted from where it was made (the runner, or the router's advisory path).
  h.set(DeadLetterHeaders.Reason, withoutControlCharacters(facts.reason.replace(/[\r\n]+/g, ' ')).text);
  h.set(DeadLetterHeaders.Time, facts.time.toISOString());
  if (facts.trimmed) h.set(DeadLetterHeaders.Trimmed, facts.trimmed);
  if (facts.stack) h.set(DeadLetterHeaders.Stack, stackHeaderValue(redact(facts.stack)));
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
  const stack = get(DeadLetterHeaders.Stack);
  return {
    subject: get(DeadLetterHeaders.Subject) ?? '',
    stream,
    sequence: Number(get(DeadLetterHeaders.Sequence)),
    consumer: get(DeadLetterHeaders.Consumer) ?? '',
    deliveries: Number(get(DeadLetterHeaders.Deliveries)),
    reason: get(DeadLetterHeaders.Reason) ?? '',
    time: new Date(get(DeadLetterHeaders.Time) ?? 0),
    msgId: get(DeadLetterHeaders.MsgId),
    ...(stack !== undefined && { stack: readStackHeader(stack) }),
  };
}
