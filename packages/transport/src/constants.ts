/** Defaults and identifiers, in one place. Every default here is documented in the README. */

/** The transport id `@JetStreamEvent` handlers are bound to; `Transport.NATS` never takes them. */
export const JETSTREAM_TRANSPORT: unique symbol = Symbol.for('@nest-jetstream/transport');

/** Key in a handler's Nest `extras` that carries its `JetStreamEventOptions`. */
export const JETSTREAM_EXTRAS_KEY = '__nestJetStream';

/** Key in a handler's Nest `extras` that carries the name of its method (for direct calls). */
export const JETSTREAM_METHOD_KEY = '__nestJetStreamMethod';

/** Key in a handler's Nest `extras` that carries the name of its class (named in option errors). */
export const JETSTREAM_CLASS_KEY = '__nestJetStreamClass';

/** Key in a handler's Nest `extras` that carries its `@JetStreamCron` schedule. */
export const JETSTREAM_CRON_KEY = '__nestJetStreamCron';

export const DEFAULTS = {
  serviceName: 'nest',
  provisioning: 'create-or-update',
  shutdownTimeout: '10s',
  /** What `listen()` does about a `@MessagePattern` subject a stream captures. */
  requestSubjectsInStreams: 'error',
  consumer: {
    ackWait: '30s',
    maxDeliver: 5,
    backoff: ['1s', '5s', '30s'],
    concurrency: 10,
    maxAckPending: 1000,
    deliverPolicy: 'all',
    handlerTimeout: '5m',
  },
  modes: {
    /** The modes with a consumer per instance: the server removes an instance's consumer this long after the instance is gone. */
    inactiveThreshold: '1m',
  },
  idempotency: {
    /** How long an idempotency key is kept when `idempotency.retain` is not set. */
    retain: '1d',
  },
  deadLetter: {
    /** Deliveries the server allows past `maxDeliver` while the dead-letter publish keeps failing. */
    extraDeliveries: 10,
    /** One dead-letter publish may retry this long before the message is naked. */
    publishBudget: '5s',
    /** How long the advisory stream keeps an advisory nobody processed. */
    advisoryMaxAge: '7d',
    /** Advisory retry delay when the dead-letter publish fails. */
    advisoryRetryDelay: '5s',
    /** ackWait of the advisory consumer: well above one dead-letter publish with its retries. */
    advisoryAckWait: '30s',
    /** The `Dead-Letter-Stack` header is cut (at a line) to this many characters. */
    maxStackLength: 2048,
    /** A dead letter refused for `max_payload` is sent again without its stack and with its reason cut to this many characters. */
    trimmedReasonLength: 256,
  },
  publish: {
    /** One publish attempt waits this long for the PubAck. */
    timeout: '2s',
    /** Retries of timeouts and no-responders stop after this; a leader election takes 5 to 8.5 s. */
    retryBudget: '15s',
    /** First pause between retries; doubles up to `retryMaxDelay`. */
    retryDelay: '100ms',
    retryMaxDelay: '1s',
  },
  /** Reasons (logs, term reasons, `Dead-Letter-Reason`) are cut to this many characters: room for a validation's field list. */
  maxReasonLength: 1024,
  /**
   * An app with `@JetStreamEvent` handlers whose JetStream server has not started listening this
   * long after the app bootstrapped gets a warning (the server was never connected).
   */
  serverStartGrace: '2s',
} as const;

/** The line that connects the module's server to a hybrid app, quoted by the warnings that miss it. */
export const CONNECT_SERVER_LINE = 'app.connectMicroservice({ strategy: app.get(JetStreamServer) }) then await app.startAllMicroservices()';

/** Bounds on what hostile input can make the library send, copy or print (docs/security.md#hostile-input). */
export const LIMITS = {
  /** Longest subject in bytes: the server's default `max_control_line` (4096) less the rest of a publish line (reply inbox, sizes). */
  maxSubjectBytes: 3840,
  /** A header value copied from a received message into its dead letter is cut to this many characters. */
  maxDeadLetterHeaderValue: 4096,
  /** Subjects, header names and other received text quoted in an error or log line are cut to this many characters. */
  maxQuoted: 120,
} as const;

/** Readiness rescans the app's streams for consumers left behind at most this often (they change with deploys, not per second). */
export const LEFT_BEHIND_RESCAN_MS = 60_000;

/** While NATS is unreachable, one "reconnecting" line at most this often (the first attempt is always logged). */
export const RECONNECTING_LOG_INTERVAL_MS = 10_000;

/** A client's `close()` that takes longer than this says what it waits for (a quick one logs nothing). */
export const CLIENT_CLOSE_REPORT_AFTER_MS = 1_000;

/** `+TERM <reason>` is understood from this server version on; older servers ignore the whole term. */
export const TERM_REASON_MIN_SERVER = '2.10.4';

/** What a redacted credential is replaced with, in every message, report, header and log line. */
export const REDACTED = '***';

/** Verbatim secrets (a `user`, `pass` or `token` value) shorter than this are not searched: replacing every "ab" would wreck messages and hide nothing. */
export const MIN_VERBATIM_SECRET_LENGTH = 3;

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
  /** `ErrorName: message` (with an `HttpException`'s response, e.g. a validation's field list), one line, at most 1024 characters, credentials redacted. */
  Reason: 'Dead-Letter-Reason',
  /**
   * The stack of the error that failed the message (with its causes), when it had one: line breaks
   * written `\n` and backslashes `\\` (as in a JSON string), at most 2048 characters, cut at a line.
   */
  Stack: 'Dead-Letter-Stack',
  /** ISO time of dead-lettering. */
  Time: 'Dead-Letter-Time',
  /** The original `Nats-Msg-Id`, moved so the dead-letter stream's own dedup cannot drop it. */
  MsgId: 'Dead-Letter-Msg-Id',
  /** Names (space-separated) of original headers whose values were cut to 4096 characters or had control characters replaced by U+FFFD. */
  Altered: 'Dead-Letter-Altered-Headers',
  /** Why the original's headers could not be read (malformed on the wire); none of them are copied. */
  HeadersUnreadable: 'Dead-Letter-Headers-Unreadable',
  /**
   * Set when the dead letter was refused for the server's `max_payload` and sent again smaller:
   * what was left out (`Dead-Letter-Stack`) and cut (`Dead-Letter-Reason`, to 256 characters).
   */
  Trimmed: 'Dead-Letter-Trimmed',
} as const;

/** The prefix of every dead-letter header; the redrive removes all of them. */
export const DEAD_LETTER_HEADER_PREFIX = 'Dead-Letter-';
