import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type JetStreamPublishOptions as JsPublishOptions,
  type PubAck,
} from '@nats-io/jetstream';
import { errors, headers as createHeaders, nuid, type MsgHdrs } from '@nats-io/nats-core';
import { DEFAULTS } from '../constants.js';
import { JetStreamConnectionError, JetStreamTransportError } from '../errors/jetstream-transport.error.js';
import { causeOf } from '../errors/error-causes.js';
import { JetStreamPermissionError } from '../errors/permission.error.js';
import { NoStreamForSubjectError } from '../errors/provisioning.error.js';
import {
  PublishFailedError,
  PublishRejectedError,
  PublishTimeoutError,
  WrongLastMsgIdError,
  WrongLastSequenceError,
  WrongStreamError,
} from '../errors/publish.errors.js';
import type { PublishDefaults } from '../interfaces/jetstream-options.interface.js';
import type { JetStreamPublishOptions } from '../record-builders/jetstream.record-builder.js';
import { toMillis } from '../utils/duration.js';
import { abortableDelay, backoffDelay, type BackoffPolicy } from '../utils/backoff.js';
import { subjectProblem } from '../utils/subjects.js';
import { checkHeader } from '../utils/headers.js';
import { InvalidHeaderError, InvalidSubjectError } from '../errors/input.errors.js';
import type { PublishObserver } from '../observability/instrumentation.interface.js';
import { withMetadata } from '../metadata/packet-metadata.js';
import { MessageTiming, type TimedPublish } from '../message-timing/message-timing.js';

/** JetStream API error codes for failed publish expectations. */
const WRONG_STREAM = 10060;
const WRONG_LAST_MSG_ID = 10070;
const WRONG_LAST_SEQUENCE = 10071;
/** How long a "this subject has a stream" answer is trusted while riding out no-responders. */
const STREAM_LOOKUP_TTL_MS = 10_000;
const VALID_SUBJECTS_KEPT = 10_000;
/** The waits between a publish's retries. */
const RETRY_BACKOFF: BackoffPolicy = {
  firstMs: toMillis(DEFAULTS.publish.retryDelay, 'retryDelay'),
  maxMs: toMillis(DEFAULTS.publish.retryMaxDelay, 'retryMaxDelay'),
};

export interface PublisherDefaults {
  timeoutMs: number;
  retryBudgetMs: number;
}

/** `publish.timeout` and `publish.retryBudget` in ms, defaults applied; throws on a bad value, naming it. */
export function resolvePublishDefaults(publish: PublishDefaults = {}): PublisherDefaults {
  return {
    timeoutMs: toMillis(publish.timeout ?? DEFAULTS.publish.timeout, 'publish.timeout'),
    retryBudgetMs: toMillis(publish.retryBudget ?? DEFAULTS.publish.retryBudget, 'publish.retryBudget'),
  };
}

/**
 * Publishes with a retry budget: timeouts and no-responders (a leader election, a restart)
 * are retried with the same msgId, so a retry never stores a second copy. Everything else
 * becomes a typed error at once.
 */
export class Publisher {
  private readonly streamSeen = new Map<string, number>();
  /** Subjects already checked: validation costs a split per publish otherwise. */
  private readonly validSubjects = new Set<string>();
  /** Created by the first publish with `ttl`, `deliverAt` or `delay`. */
  private timing?: MessageTiming;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly defaults: PublisherDefaults,
    /** Metrics and tracing hooks; undefined when neither is on (then no call is made per publish). */
    private readonly observer?: PublishObserver,
    /** The connected server's version, checked before a publish with `ttl`, `deliverAt` or `delay`. */
    private readonly serverVersion: () => string | undefined = () => undefined,
  ) {}

  /** Never throws synchronously: every problem is a rejection. `timed`: what `MessageTiming` planned. */
  publish(
    subject: string,
    payload: Uint8Array,
    options: JetStreamPublishOptions = {},
    metadata?: Record<string, string>,
    timed?: TimedPublish,
  ): Promise<PubAck> {
    // Only a publish with one of these pays for the checks (server version, stream settings).
    if (!timed && (options.ttl !== undefined || options.deliverAt !== undefined || options.delay !== undefined))
      return this.publishTimed(subject, payload, options, metadata);
    let opts: Partial<JsPublishOptions>;
    try {
      this.checkSubject(subject);
      opts = this.toPublishOptions(subject, options);
      if (timed) Object.assign(opts, timed.options);
      if (metadata) opts.headers = withMetadata(opts.headers, metadata, subject);
    } catch (err) {
      return Promise.reject(err);
    }
    const started = Date.now();
    const to = timed ? timed.subject : subject;
    if (this.observer) return this.observed(this.observer, subject, payload, opts, options, started, to);
    // The happy path is one call into the client: no extra async frames per message.
    return this.js.publish(to, payload, opts).catch((err: unknown) => this.retry(err, subject, payload, opts, options, started, to));
  }

  private publishTimed(subject: string, payload: Uint8Array, options: JetStreamPublishOptions, metadata?: Record<string, string>): Promise<PubAck> {
    try {
      this.checkSubject(subject);
    } catch (err) {
      return Promise.reject(err);
    }
    const timing = (this.timing ??= new MessageTiming(this.jsm, this.serverVersion));
    // Refused by the server (the stream changed since it was read): read again, and send once more if it now allows it.
    return timing
      .plan(subject, options)
      .then((timed) =>
        this.publish(subject, payload, options, metadata, timed).catch(async (err: unknown) =>
          this.publish(subject, payload, options, metadata, await timing.explain(subject, options, err, timed)),
        ),
      );
  }

  private observed(
    observer: PublishObserver,
    subject: string,
    payload: Uint8Array,
    opts: Partial<JsPublishOptions>,
    options: JetStreamPublishOptions,
    started: number,
    to: string,
  ): Promise<PubAck> {
    const token = observer.started(subject, opts.msgID ?? '', () => (opts.headers ??= createHeaders()));
    return this.js
      .publish(to, payload, opts)
      .catch((err: unknown) => this.retry(err, subject, payload, opts, options, started, to))
      .then(
        (ack) => {
          observer.finished(token, ack);
          return ack;
        },
        (err: unknown) => {
          observer.finished(token, undefined, err);
          throw err;
        },
      );
  }

  private async retry(
    first: unknown,
    subject: string,
    payload: Uint8Array,
    opts: Partial<JsPublishOptions>,
    options: JetStreamPublishOptions,
    started: number,
    /** Where the message goes: `subject`, or a schedule's own subject. */
    to = subject,
  ): Promise<PubAck> {
    const budget = options.retryBudget === undefined ? this.defaults.retryBudgetMs : toMillis(options.retryBudget, 'publish retryBudget');
    const deadline = started + budget;
    let err = first;
    for (let attempt = 1; ; attempt++) {
      if (!isRetriable(err)) throw toPublishError(err, subject, options);
      if (isNoResponders(err)) await this.assertSomeStreamCaptures(subject);
      const pause = backoffDelay(RETRY_BACKOFF, attempt);
      if (Date.now() + pause >= deadline) throw new PublishTimeoutError(subject, attempt, budget, { cause: err });
      await abortableDelay(pause);
      try {
        return await this.js.publish(to, payload, opts);
      } catch (next) {
        err = next;
      }
    }
  }

  private checkSubject(subject: string): void {
    if (this.validSubjects.has(subject)) return;
    const why = typeof subject === 'string' ? subjectProblem(subject, false) : `it is not a string but ${typeof subject}`;
    if (why) throw new InvalidSubjectError(String(subject), why, 'publish');
    if (this.validSubjects.size < VALID_SUBJECTS_KEPT) this.validSubjects.add(subject);
  }

  private toPublishOptions(subject: string, options: JetStreamPublishOptions): Partial<JsPublishOptions> {
    const opts: Partial<JsPublishOptions> = {
      msgID: options.msgId ?? nuid.next(),
      timeout: options.timeout === undefined ? this.defaults.timeoutMs : toMillis(options.timeout, 'publish timeout'),
    };
    if (options.headers) opts.headers = toHeaders(options.headers, subject);
    const { expect } = options;
    if (expect) {
      opts.expect = {
        streamName: expect.stream,
        lastSequence: expect.lastSequence,
        lastSubjectSequence: expect.lastSubjectSequence,
        lastMsgID: expect.lastMsgId,
      };
    }
    return opts;
  }

  /** No responders means no stream, or a stream without a leader right now: only the first is final. */
  private async assertSomeStreamCaptures(subject: string): Promise<void> {
    const seen = this.streamSeen.get(subject);
    if (seen !== undefined && Date.now() - seen < STREAM_LOOKUP_TTL_MS) return;
    let found: string | undefined;
    try {
      found = await this.jsm.streams.find(subject);
    } catch (err) {
      // The client answers "no stream matches subject" as a StreamNotFound API error.
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) throw new NoStreamForSubjectError(subject);
      return; // the lookup itself failed (no meta leader yet): keep retrying
    }
    if (found) this.streamSeen.set(subject, Date.now());
  }
}

/** The client turns "no responders" into a `JetStreamNotEnabled` error, which it does not export. */
function isNoResponders(err: unknown): boolean {
  return err instanceof Error && err.name === 'JetStreamNotEnabled';
}

function isRetriable(err: unknown): boolean {
  return err instanceof errors.TimeoutError || isNoResponders(err);
}

/** @internal A client error as one of the library's publish errors, the original as `cause`. */
export function toPublishError(err: unknown, subject: string, options: JetStreamPublishOptions): Error {
  if (err instanceof JetStreamApiError) {
    const text = err.message;
    switch (err.code) {
      case WRONG_LAST_SEQUENCE: {
        const actual = /wrong last sequence: (\d+)/.exec(text);
        const expected = options.expect?.lastSequence ?? options.expect?.lastSubjectSequence ?? 0;
        return new WrongLastSequenceError(subject, expected, actual ? Number(actual[1]) : undefined, { cause: err });
      }
      case WRONG_LAST_MSG_ID: {
        const actual = /wrong last msg ID: (.*)$/.exec(text);
        return new WrongLastMsgIdError(subject, options.expect?.lastMsgId ?? '', actual?.[1], { cause: err });
      }
      case WRONG_STREAM:
        return new WrongStreamError(subject, options.expect?.stream ?? '', { cause: err });
      default:
        return new PublishRejectedError(subject, err.code, text, { cause: err });
    }
  }
  if (err instanceof errors.InvalidArgumentError && /max_payload/.test(err.message)) {
    return new PublishRejectedError(subject, undefined, `${err.message}. Send a smaller payload or raise max_payload on the server.`, { cause: err });
  }
  if (err instanceof JetStreamTransportError) return err;
  const denied = causeOf(err, errors.PermissionViolationError);
  if (denied) {
    return new JetStreamPermissionError(denied.operation, denied.subject, `Add "${denied.subject}" to its publish allow list (the publishes of its role)`, {
      cause: err,
    });
  }
  if (causeOf(err, errors.ClosedConnectionError)) {
    return new JetStreamConnectionError(
      `Cannot publish to "${subject}": the NATS connection is closed and will not reconnect (reconnect attempts ran out, or it was closed). The message was not sent. Restart the service, or close() and connect() the client again; connection.maxReconnectAttempts -1 (the default) reconnects for as long as the service runs.`,
      { cause: err },
    );
  }
  return new PublishFailedError(subject, err instanceof Error ? `${err.name}: ${err.message}` : String(err), { cause: err });
}

/** @internal The caller's headers as `MsgHdrs`, each name and value checked. */
export function toHeaders(input: JetStreamPublishOptions['headers'], subject: string): MsgHdrs | undefined {
  if (!input) return undefined;
  if (typeof (input as MsgHdrs).append === 'function' && typeof (input as MsgHdrs).keys === 'function') {
    // The caller's own MsgHdrs: the client checked names and CR/LF as they were added, not the other control characters.
    const given = input as MsgHdrs;
    for (const name of given.keys()) for (const value of given.values(name)) checkHeader(name, value, subject);
    return given;
  }
  const h = createHeaders();
  for (const [name, value] of Object.entries(input as Record<string, string | string[]>)) {
    for (const v of [value].flat()) {
      const text = String(v);
      checkHeader(name, text, subject);
      try {
        h.append(name, text);
      } catch (err) {
        throw new InvalidHeaderError(name, subject, err instanceof Error ? err.message : String(err), { cause: err });
      }
    }
  }
  return h;
}
