import { JetStreamErrorCode, JetStreamTransportError } from './jetstream-transport.error.js';

/** An `expect.lastSequence` / `expect.lastSubjectSequence` check failed: someone else published first. */
export class WrongLastSequenceError extends JetStreamTransportError {
  constructor(
    readonly subject: string,
    readonly expected: number,
    readonly actual: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      JetStreamErrorCode.WrongLastSequence,
      `Publish to "${subject}" expected last sequence ${expected} but the stream has ${actual ?? 'another'}: re-read the state and publish again with the current sequence.`,
      options,
    );
    this.name = 'WrongLastSequenceError';
  }
}

/** An `expect.lastMsgId` check failed. */
export class WrongLastMsgIdError extends JetStreamTransportError {
  constructor(
    readonly subject: string,
    readonly expected: string,
    readonly actual: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      JetStreamErrorCode.WrongLastMsgId,
      `Publish to "${subject}" expected last msgId "${expected}" but the stream's is "${actual ?? 'another'}".`,
      options,
    );
    this.name = 'WrongLastMsgIdError';
  }
}

/** An `expect.stream` check failed: the subject is captured by another stream. */
export class WrongStreamError extends JetStreamTransportError {
  constructor(
    readonly subject: string,
    readonly expected: string,
    options?: { cause?: unknown },
  ) {
    super(JetStreamErrorCode.WrongStream, `Publish to "${subject}" expected stream "${expected}", but another stream captures that subject.`, options);
    this.name = 'WrongStreamError';
  }
}

/** No PubAck within the retry budget (timeouts or no responders all along). */
export class PublishTimeoutError extends JetStreamTransportError {
  constructor(
    readonly subject: string,
    readonly attempts: number,
    readonly budgetMs: number,
    options?: { cause?: unknown },
  ) {
    super(
      JetStreamErrorCode.PublishTimeout,
      `Publish to "${subject}" got no PubAck after ${attempts} attempt(s) in ${budgetMs} ms (JetStream unreachable or electing a leader). ` +
        'The message may or may not be stored; publish again with the same msgId to be sure it is stored once, or raise publish.retryBudget.',
      options,
    );
    this.name = 'PublishTimeoutError';
  }
}

/** The server refused the message (too large, stream full with discard new, permissions...). */
export class PublishRejectedError extends JetStreamTransportError {
  constructor(
    readonly subject: string,
    readonly apiCode: number | undefined,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(JetStreamErrorCode.PublishRejected, `JetStream refused the publish to "${subject}": ${reason}`, options);
    this.name = 'PublishRejectedError';
  }
}

/** The publish failed in the client for a reason the library has no more specific error for; `cause` is the client's error. */
export class PublishFailedError extends JetStreamTransportError {
  constructor(
    readonly subject: string,
    why: string,
    options?: { cause?: unknown },
  ) {
    super(
      JetStreamErrorCode.PublishFailed,
      `Publish to "${subject}" failed: ${why}. The message was not stored (or it is unknown whether it was): publish again with the same msgId.`,
      options,
    );
    this.name = 'PublishFailedError';
  }
}

/** The codec could not encode the payload. */
export class EncodeError extends JetStreamTransportError {
  constructor(
    readonly subject: string,
    options?: { cause?: unknown },
  ) {
    const why = options?.cause instanceof Error ? options.cause.message : String(options?.cause);
    super(
      JetStreamErrorCode.Encode,
      `Cannot encode the payload for "${subject}": ${why}. Send a value the codec can encode (JSON by default) or pass bytes with the raw codec.`,
      options,
    );
    this.name = 'EncodeError';
  }
}

/** `send()` on the JetStream client: request/reply is not JetStream's job. */
export class RequestReplyNotSupportedError extends JetStreamTransportError {
  constructor(pattern: string) {
    super(
      JetStreamErrorCode.RequestReplyNotSupported,
      `JetStreamClient.send("${pattern}") is not supported: JetStream carries events, not request/reply. Use emit()/publish() here, and a Transport.NATS ClientProxy for send().`,
    );
    this.name = 'RequestReplyNotSupportedError';
  }
}
