import { JetStreamErrorCode, JetStreamTransportError } from './jetstream-transport.error.js';

/**
 * Throw this from a handler (or a guard, pipe or interceptor) to terminate the message:
 * it is never redelivered. Use it for poison messages that no retry can fix.
 */
export class JetStreamTermError extends JetStreamTransportError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(JetStreamErrorCode.Term, reason, options);
    this.name = 'JetStreamTermError';
  }
}

/** The codec could not decode a received payload: the message is not redelivered (dead-lettered, or terminated without a route). */
export class DecodeError extends JetStreamTransportError {
  constructor(
    readonly subject: string,
    readonly streamSequence: number,
    /** `deadLetter`: the message is a dead letter (it carries `Dead-Letter-*` headers). */
    options?: { cause?: unknown; deadLetter?: boolean },
  ) {
    const why = options?.cause instanceof Error ? options.cause.message : String(options?.cause);
    const fix = options?.deadLetter
      ? 'it is a dead letter, whose payload may be bytes no codec could read: give its handler codec: new RawCodec() and decode the bytes itself (docs/dead-letters.md)'
      : 'fix the publisher or the codec';
    super(
      JetStreamErrorCode.Decode,
      `Cannot decode message ${streamSequence} on "${subject}": ${why}. It is not redelivered (dead-lettered where the handler has a dead-letter route, else terminated); ${fix}.`,
      options && 'cause' in options ? { cause: options.cause } : undefined,
    );
    this.name = 'DecodeError';
  }
}

/** A handler ran longer than its `handlerTimeout`: the attempt counts as failed. */
export class HandlerTimeoutError extends JetStreamTransportError {
  constructor(
    readonly subject: string,
    readonly streamSequence: number,
    readonly timeoutMs: number,
  ) {
    super(
      JetStreamErrorCode.HandlerTimeout,
      `Handler for message ${streamSequence} on "${subject}" ran longer than handlerTimeout ${timeoutMs} ms; the attempt counts as failed. Raise handlerTimeout if such runs are expected.`,
    );
    this.name = 'HandlerTimeoutError';
  }
}
