/** Every error code the library throws. */
export const JetStreamErrorCode = {
  Config: 'CONFIG',
  Connection: 'CONNECTION',
  Provisioning: 'PROVISIONING',
  NoStreamForSubject: 'NO_STREAM_FOR_SUBJECT',
  WrongLastSequence: 'WRONG_LAST_SEQUENCE',
  WrongLastMsgId: 'WRONG_LAST_MSG_ID',
  WrongStream: 'WRONG_STREAM',
  PublishTimeout: 'PUBLISH_TIMEOUT',
  PublishRejected: 'PUBLISH_REJECTED',
  PublishFailed: 'PUBLISH_FAILED',
  PublishOptionUnsupported: 'PUBLISH_OPTION_UNSUPPORTED',
  ConsumerFeatureUnsupported: 'CONSUMER_FEATURE_UNSUPPORTED',
  Encode: 'ENCODE',
  Decode: 'DECODE',
  Term: 'TERM',
  HandlerTimeout: 'HANDLER_TIMEOUT',
  RequestReplyNotSupported: 'REQUEST_REPLY_NOT_SUPPORTED',
  NotListening: 'NOT_LISTENING',
  Permission: 'PERMISSION',
  BatchTooLarge: 'BATCH_TOO_LARGE',
  BatchMixedStreams: 'BATCH_MIXED_STREAMS',
  BatchExpectationFailed: 'BATCH_EXPECTATION_FAILED',
  BatchDuplicateMsgId: 'BATCH_DUPLICATE_MSG_ID',
  BatchUnsupported: 'BATCH_UNSUPPORTED',
  BatchRejected: 'BATCH_REJECTED',
  FastBatchUnsupported: 'FAST_BATCH_UNSUPPORTED',
  FastBatchMixedStreams: 'FAST_BATCH_MIXED_STREAMS',
  FastBatchGap: 'FAST_BATCH_GAP',
  FastBatchFailed: 'FAST_BATCH_FAILED',
} as const;

export type JetStreamErrorCode = (typeof JetStreamErrorCode)[keyof typeof JetStreamErrorCode];

/** The root of the library's errors: `code` says which, the message says what to change. */
export class JetStreamTransportError extends Error {
  constructor(
    readonly code: JetStreamErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'JetStreamTransportError';
  }
}

/** An option or configuration value the library cannot use. */
export class JetStreamConfigError extends JetStreamTransportError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(JetStreamErrorCode.Config, message, options);
    this.name = 'JetStreamConfigError';
  }
}

/** NATS is unreachable, refused us, or has JetStream disabled. */
export class JetStreamConnectionError extends JetStreamTransportError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(JetStreamErrorCode.Connection, message, options);
    this.name = 'JetStreamConnectionError';
  }
}

/** `unwrap()` or a publish before the connection exists, or after `close()`. */
export class JetStreamNotListeningError extends JetStreamTransportError {
  constructor(what: string, closed = false) {
    super(
      JetStreamErrorCode.NotListening,
      closed
        ? `${what}: it is closed (close() was called, or the app shut down), so it has no NATS connection any more.`
        : `${what} has no NATS connection yet: call it after listen()/connect() has resolved (for a server, after app.listen() or app.startAllMicroservices()).`,
    );
    this.name = 'JetStreamNotListeningError';
  }
}
