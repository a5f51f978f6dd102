// Per-message TTL (ADR-43) and message schedules (ADR-51): what a publish asks for, and why the
// server or the stream cannot honour it. Pure: the I/O is in message-timing.ts.
//
// Measured against nats-server 2.15.1 and 2.9.10 with @nats-io/jetstream 3.4.0:
// - `Nats-TTL` takes a Go duration or whole seconds, at least 1s ('999ms', '0s', '-1s' and '2d' are
//   refused with 10165 "invalid per-message TTL"); 'never' outlives the stream's max_age, while a
//   TTL longer than max_age still ends at max_age. The message is gone once it expires (a get by
//   sequence finds nothing).
// - A TTL on a stream without allow_msg_ttl: 10166 "per-message TTL is disabled", nothing stored.
// - A schedule (`Nats-Schedule: @at <RFC3339, milliseconds accepted>` + `Nats-Schedule-Target`) is
//   published to a subject of its own, captured by the same stream; the server rolls that subject
//   up (one schedule per subject) and, when due (at once if the time is past), stores a new message
//   on the target and deletes the schedule. The new message carries the schedule's own headers
//   (the app's, tracing) plus `Nats-Scheduler` and `Nats-Schedule-Next: purge`, but not its
//   `Nats-Msg-Id`: the msgId deduplicates the schedule. `Nats-Schedule-TTL` becomes the delivered
//   message's `Nats-TTL` (it needs allow_msg_ttl: 10166 otherwise; under 1s: 10191).
// - A schedule on a stream without allow_msg_schedules: 10188 "message schedules is disabled"; a
//   target equal to the schedule subject or outside the stream: 10190 "target is invalid".
// - allow_msg_schedules makes the server turn allow_rollup_hdrs on and deny_purge off; neither it
//   nor allow_msg_ttl can be turned off again (10052).
// - On an interest-retention stream the schedule is dropped at once (no consumer reads its
//   subject) and never fires; on limits and workqueue streams it fires.
// - 2.9.10 drops allow_msg_ttl and allow_msg_schedules from a stream config without a word, stores
//   a message with `Nats-TTL` and keeps it for good, and stores a schedule as a plain message on
//   its own subject that never fires: hence the version check before anything is sent.
import { nuid } from '@nats-io/nats-core';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { PublishOptionUnsupportedError, type TimedPublishOption } from '../errors/publish-option-unsupported.error.js';
import type { JetStreamPublishOptions } from '../record-builders/jetstream.record-builder.js';
import { describeValue } from '../errors/describe-value.js';
import { toMillis, type Duration } from '../utils/duration.js';
import { versionAtLeast } from '../utils/server-version.js';
import { subjectMatches } from '../utils/subjects.js';

/** Per-message TTL (`Nats-TTL`, `allow_msg_ttl`) arrived in this nats-server version. */
export const MESSAGE_TTL_MIN_SERVER = '2.11.0';
/** Message schedules (`Nats-Schedule: @at …`, `allow_msg_schedules`) arrived in this nats-server version. */
export const MESSAGE_SCHEDULES_MIN_SERVER = '2.12.0';
/** The server refuses a shorter `Nats-TTL`. */
const MIN_TTL_MS = 1000;

/** The subjects where stream `stream` keeps the library's schedules until they fire: `_sched.<stream>.>`. */
export function scheduleSubjectsOf(stream: string): string {
  return `_sched.${stream}.>`;
}

/** A subject for one schedule: unique, because the server keeps one schedule per subject. */
export function newScheduleSubject(stream: string): string {
  return `_sched.${stream}.${nuid.next()}`;
}

/** What one publish asks for, read and checked once. */
export interface TimingRequest {
  /** The `Nats-TTL` value (`'30s'`, `'1500ms'`, `'never'`). */
  ttl?: string;
  deliverAt?: Date;
  /** The option that asked for a schedule. */
  scheduleOption?: 'deliverAt' | 'delay';
}

/** The stream settings the checks read, from its info. */
export interface StreamTimingFacts {
  name: string;
  allowMsgTtl: boolean;
  allowMsgSchedules: boolean;
  retention: string;
  subjects: string[];
}

/** `ttl` as the server's `Nats-TTL`: whole seconds as `'30s'`, the rest in milliseconds; at least 1s. */
export function toTtlHeader(ttl: Duration | 'never', what = 'publish ttl'): string {
  if (ttl === 'never') return 'never';
  const ms = toMillis(ttl, what);
  if (ms < MIN_TTL_MS)
    throw new JetStreamConfigError(`${what} is ${describeValue(ttl)}; the server's shortest per-message TTL is '1s'. Use '1s' or more, or 'never'.`);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Reads `ttl`, `deliverAt` and `delay`; throws `JetStreamConfigError` on a bad value or on both `deliverAt` and `delay`. */
export function readTimingOptions(options: JetStreamPublishOptions, now = Date.now()): TimingRequest {
  const request: TimingRequest = {};
  if (options.ttl !== undefined) request.ttl = toTtlHeader(options.ttl);
  const { deliverAt, delay } = options;
  if (deliverAt !== undefined && delay !== undefined) {
    throw new JetStreamConfigError(`A publish has both deliverAt (${describeValue(deliverAt)}) and delay (${describeValue(delay)}); give one of them.`);
  }
  if (deliverAt !== undefined) {
    if (!(deliverAt instanceof Date) || Number.isNaN(deliverAt.getTime())) {
      const shown = deliverAt instanceof Date ? 'an invalid Date' : describeValue(deliverAt);
      throw new JetStreamConfigError(`publish deliverAt is ${shown}; give a valid Date (or use delay: '10s').`);
    }
    request.deliverAt = deliverAt;
    request.scheduleOption = 'deliverAt';
  } else if (delay !== undefined) {
    request.deliverAt = new Date(now + toMillis(delay, 'publish delay'));
    request.scheduleOption = 'delay';
  }
  return request;
}

/** The server's version is too old for what `request` asks (unknown versions pass: the stream's settings decide). */
export function serverProblem(subject: string, request: TimingRequest, serverVersion: string | undefined): PublishOptionUnsupportedError | undefined {
  if (serverVersion === undefined) return undefined;
  const tooOld = (option: TimedPublishOption, min: string, feature: string, instead: string) =>
    new PublishOptionUnsupportedError(
      subject,
      option,
      { serverVersion, minServerVersion: min },
      `nats-server ${serverVersion} has no ${feature}: it needs nats-server ${min} or newer (older servers ignore the header and store a plain message). Upgrade nats-server to ${min} or newer, or ${instead}.`,
    );
  if (request.scheduleOption && !versionAtLeast(serverVersion, MESSAGE_SCHEDULES_MIN_SERVER)) {
    return tooOld(
      request.scheduleOption,
      MESSAGE_SCHEDULES_MIN_SERVER,
      'message schedules',
      `publish when the message is due, without ${request.scheduleOption}`,
    );
  }
  if (request.ttl !== undefined && !versionAtLeast(serverVersion, MESSAGE_TTL_MIN_SERVER)) {
    return tooOld('ttl', MESSAGE_TTL_MIN_SERVER, 'per-message TTL', "publish without ttl (the stream's maxAge applies to every message)");
  }
  return undefined;
}

/** The stream that captures `subject` lacks a setting `request` needs. */
export function streamProblem(subject: string, request: TimingRequest, stream: StreamTimingFacts): PublishOptionUnsupportedError | undefined {
  const name = stream.name;
  const missing = (option: TimedPublishOption, setting: string, explanation: string) =>
    new PublishOptionUnsupportedError(subject, option, { stream: name, setting }, explanation);
  const option = request.scheduleOption;
  if (option) {
    if (!stream.allowMsgSchedules) {
      return missing(
        option,
        'allow_msg_schedules',
        `stream ${name} does not allow message schedules (allow_msg_schedules is off), so the server would refuse it. Declare the stream with allowMsgSchedules: true (provisioning turns it on; nats-server 2.12+), or turn allow_msg_schedules on for ${name} on the server and add "${scheduleSubjectsOf(name)}" to its subjects.`,
      );
    }
    if (stream.retention === 'interest') {
      return missing(
        option,
        'retention',
        `stream ${name} has interest retention: the server drops a schedule at once (no consumer reads its subject) and it never fires. Schedule on a stream with limits or workqueue retention.`,
      );
    }
    const oneSchedule = `_sched.${name}.x`;
    if (!stream.subjects.some((s) => subjectMatches(s, oneSchedule))) {
      return missing(
        option,
        'subjects',
        `stream ${name} does not capture "${scheduleSubjectsOf(name)}", where the library keeps a schedule until it fires. Declare the stream with allowMsgSchedules: true (the library adds those subjects), or add "${scheduleSubjectsOf(name)}" to its subjects on the server.`,
      );
    }
  }
  if (request.ttl !== undefined && !stream.allowMsgTtl) {
    return missing(
      'ttl',
      'allow_msg_ttl',
      `stream ${name} does not allow per-message TTL (allow_msg_ttl is off), so the server would refuse it. Declare the stream with allowMsgTtl: true (provisioning turns it on; nats-server 2.11+), or turn allow_msg_ttl on for ${name} on the server.`,
    );
  }
  return undefined;
}
