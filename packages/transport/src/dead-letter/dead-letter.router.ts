import type { PubAck } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/nats-core';
import type { Publisher } from '../publishing/publisher.js';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';
import type { HandlerBinding } from '../bindings/handler-binding.js';
import type { DeadLetterEvent } from '../events/settle.events.js';
import { buildDeadLetterHeaders, deadLetterMsgId, readHeaders, type DeadLetterFacts } from './dead-letter-headers.js';
import { renderDeadLetterSubject } from '../config/dead-letter-subject.js';
import { errorStack } from '../settlement/error-detail.js';
import { redactSecrets } from '../security/redact.js';
import { errors } from '@nats-io/nats-core';
import { causeOf } from '../errors/error-causes.js';
import { DEFAULTS } from '../constants.js';

/** What `Dead-Letter-Trimmed` says of a dead letter sent again smaller. */
const TRIMMED = `refused for max_payload: sent again without Dead-Letter-Stack, Dead-Letter-Reason cut to ${DEFAULTS.deadLetter.trimmedReasonLength} characters`;

interface Original {
  subject: string;
  stream: string;
  sequence: number;
  deliveries: number;
  data: Uint8Array;
  /** Read only when a dead letter is built: a malformed header block from the wire throws when parsed. */
  headers: () => MsgHdrs | undefined;
}

/** Publishes dead letters: payload untouched, headers kept plus the contract, msgId `dlq:<stream>:<seq>`. */
export class DeadLetterRouter {
  /** Recently dead-lettered `stream:seq`, so the advisory path knows what this process already did. */
  private readonly recent = new Set<string>();

  constructor(
    private readonly publisher: Publisher,
    private readonly onDeadLettered: (event: DeadLetterEvent) => void,
    /** The advisory path's reason may quote an error that echoes a credential: it is redacted before it is published. */
    private readonly redact: (text: string) => string = redactSecrets,
  ) {}

  /**
   * The in-process path: the message the handler failed or refused (`error`, when there was one, gives the stack header).
   * `reason` comes redacted by the runner, which made it; it is redacted once more here, the last
   * step before it is stored in a stream for good (a dead letter is rare: the pass costs nothing
   * that matters, and a reason that reached here unredacted would otherwise be published).
   */
  route(binding: HandlerBinding, ctx: JetStreamContext, reason: string, exhausted: boolean, error?: unknown): Promise<DeadLetterEvent> {
    const msg = ctx.getMessage();
    const info = msg.info;
    return this.send(
      binding,
      { subject: msg.subject, stream: info.stream, sequence: info.streamSequence, deliveries: info.deliveryCount, data: msg.data, headers: () => msg.headers },
      this.redact(reason),
      exhausted,
      'handler',
      error,
    );
  }

  /** The advisory path: a message fetched from its stream by sequence. */
  routeStored(binding: HandlerBinding, original: Original, reason: string): Promise<DeadLetterEvent> {
    return this.send(binding, original, this.redact(reason), true, 'advisory');
  }

  wasRecentlyDeadLettered(stream: string, sequence: number): boolean {
    return this.recent.has(`${stream}:${sequence}`);
  }

  /** `reason` is already redacted. */
  private async send(
    binding: HandlerBinding,
    o: Original,
    reason: string,
    exhausted: boolean,
    via: DeadLetterEvent['via'],
    error?: unknown,
  ): Promise<DeadLetterEvent> {
    const deadLetterSubject = renderDeadLetterSubject(binding.deadLetter ?? '', o.subject, o.stream, binding.durable);
    // Headers that cannot be parsed are left out, and the dead letter says why: the message is not stranded for them.
    const original = readHeaders(o.headers);
    const facts: DeadLetterFacts = {
      subject: o.subject,
      stream: o.stream,
      sequence: o.sequence,
      consumer: binding.durable,
      deliveries: o.deliveries,
      reason,
      time: new Date(),
      stack: errorStack(error),
      headersUnreadable: original.unreadable,
    };
    let headers = buildDeadLetterHeaders(original.headers, facts, this.redact);
    const msgId = deadLetterMsgId(o.stream, o.sequence);
    let ack: PubAck;
    try {
      ack = await this.publisher.publish(deadLetterSubject, o.data, { msgId, headers });
    } catch (err) {
      // Our own headers (a reason up to 1024 characters, a stack up to 2048) can push a payload near
      // max_payload over it: sent once more without the stack and with a short reason, not stranded.
      const cut = DEFAULTS.deadLetter.trimmedReasonLength;
      if (!refusedForMaxPayload(err) || (facts.stack === undefined && reason.length <= cut)) throw err;
      const short = reason.length > cut ? `${reason.slice(0, cut - 1)}…` : reason;
      headers = buildDeadLetterHeaders(original.headers, { ...facts, reason: short, stack: undefined, trimmed: TRIMMED }, this.redact);
      ack = await this.publisher.publish(deadLetterSubject, o.data, { msgId, headers });
    }
    this.remember(`${o.stream}:${o.sequence}`);
    const event: DeadLetterEvent = {
      subject: o.subject,
      stream: o.stream,
      consumer: binding.durable,
      streamSequence: o.sequence,
      deliveryCount: o.deliveries,
      reason,
      exhausted,
      deadLetterSubject,
      deadLetterStream: ack.stream,
      deadLetterSequence: ack.seq,
      duplicate: ack.duplicate,
      via,
      data: o.data,
      headers,
      ...(error !== undefined && { error }),
    };
    this.onDeadLettered(event);
    return event;
  }

  private remember(key: string): void {
    this.recent.add(key);
    if (this.recent.size > 10_000) this.recent.delete(this.recent.values().next().value as string);
  }
}

/** The client refuses a message over the server's `max_payload` before sending it (`PublishRejectedError`, its cause an `InvalidArgumentError`). */
function refusedForMaxPayload(err: unknown): boolean {
  const refused = causeOf(err, errors.InvalidArgumentError);
  return refused !== undefined && /max_payload/.test(refused.message);
}
