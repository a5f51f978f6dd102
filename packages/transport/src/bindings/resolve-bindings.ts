import type { MessageHandler } from '@nestjs/microservices';
import { DEFAULTS } from '../constants.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { JetStreamEventMode, JetStreamEventOptions } from '../interfaces/jetstream-event-options.interface.js';
import type { ConsumerOptions, DeliverPolicyName } from '../interfaces/jetstream-options.interface.js';
import type { UnresolvedBinding } from './handler-binding.js';
import { toMillis, type Duration } from '../utils/duration.js';
import type { ErrorClass } from '../settlement/settle-policy.js';
import { deadLetterProblem } from './dead-letter-subject.js';
import { deriveDurableName, nameProblem, subjectProblem } from '../utils/subjects.js';
import { InvalidSubjectError } from '../errors/input.errors.js';
import { describeValue } from '../utils/describe-value.js';
import { resolveIdempotency } from '../idempotency/idempotency-key.js';
import type { IdempotencyStore } from '../idempotency/idempotency-store.interface.js';

const MODES: JetStreamEventMode[] = ['shared', 'broadcast', 'ordered', 'push'];
const DELIVER_POLICIES: DeliverPolicyName[] = ['all', 'new', 'last', 'last_per_subject', 'by_start_sequence', 'by_start_time'];

function positiveMs(value: Duration, what: string): number {
  const ms = toMillis(value, what);
  if (ms <= 0) throw new JetStreamConfigError(`${what} must be more than 0; got ${describeValue(value)}.`);
  return ms;
}

function positiveInt(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) throw new JetStreamConfigError(`${what} must be a whole number ≥ 1; got ${describeValue(value)}.`);
  return value;
}

/**
 * The nak delays, checked: a zero delay or an empty schedule would redeliver a failing message at
 * once (the hot loop we promise never happens), and delays a handler's own schedule lists beyond
 * its `maxDeliver - 1` retries would never be used.
 */
function resolveBackoff(at: string, backoff: unknown, own: boolean, maxDeliver: number): number[] {
  if (!Array.isArray(backoff) || (backoff.length === 0 && maxDeliver > 1)) {
    throw new JetStreamConfigError(
      `${at}: backoff must be a non-empty array of delays, e.g. ['1s', '5s', '30s']; got ${describeValue(backoff)}. Without a delay a failed attempt would be redelivered at once.`,
    );
  }
  const ms = backoff.map((d: Duration, i) => {
    const delay = toMillis(d, `${at} backoff[${i}]`);
    if (delay === 0) throw new JetStreamConfigError(`${at}: backoff[${i}] is 0: a failed attempt would be redelivered at once (a hot loop). Use a delay of at least 1ms, e.g. '100ms'.`);
    return delay;
  });
  if (own && ms.length > Math.max(maxDeliver - 1, 0)) {
    throw new JetStreamConfigError(
      `${at}: backoff lists ${ms.length} delays, but maxDeliver ${maxDeliver} allows only ${maxDeliver - 1} redelivery(ies): the delays after the first ${maxDeliver - 1} would never be used. Remove them or raise maxDeliver.`,
    );
  }
  return ms;
}

function resolveLag(at: string, lag: JetStreamEventOptions['lag']): JetStreamEventOptions['lag'] {
  if (lag === undefined) return undefined;
  if (lag.maxPending !== undefined) positiveInt(lag.maxPending, `${at} lag.maxPending`);
  if (lag.maxAge !== undefined) positiveMs(lag.maxAge, `${at} lag.maxAge`);
  return lag;
}

function resolvePoisonErrors(at: string, value: unknown): ErrorClass[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((c) => typeof c !== 'function')) {
    throw new JetStreamConfigError(`${at}: poisonErrors must be an array of error classes, e.g. [InvalidOrderError]; got ${describeValue(value)}.`);
  }
  return value as ErrorClass[];
}

/** Applies defaults and checks one handler's options; every error names the handler and the option. Pure. */
export function resolveBinding(
  subject: string,
  options: JetStreamEventOptions,
  defaults: ConsumerOptions,
  serviceName: string,
  handler: MessageHandler,
  deadLetterDefault: string | false = false,
  idempotencyStore?: IdempotencyStore,
): UnresolvedBinding {
  const at = `@JetStreamEvent('${subject}')`;
  const bad = typeof subject === 'string' ? subjectProblem(subject) : `it is not a string but ${typeof subject}`;
  if (bad) throw new InvalidSubjectError(String(subject), bad, 'handler');
  const mode = options.mode ?? 'shared';
  if (!MODES.includes(mode)) throw new JetStreamConfigError(`${at}: mode ${describeValue(mode)} is not one of ${MODES.map((m) => `'${m}'`).join(', ')}.`);
  // A broadcast or ordered consumer is made fresh by every instance: from 'new' unless the handler says otherwise.
  const perInstance = mode === 'broadcast' || mode === 'ordered';
  const o = { ...DEFAULTS.consumer, ...defaults, ...options };
  if (perInstance && options.deliverPolicy === undefined) o.deliverPolicy = 'new';
  const durable = options.durable ?? deriveDurableName(serviceName, subject);
  const badName = nameProblem(durable);
  if (badName) throw new JetStreamConfigError(`${at}: durable "${durable}" is invalid: ${badName}. Pass a durable made of letters, digits, "-" and "_".`);
  if (!DELIVER_POLICIES.includes(o.deliverPolicy)) {
    throw new JetStreamConfigError(`${at}: deliverPolicy ${describeValue(o.deliverPolicy)} is not one of ${DELIVER_POLICIES.join(', ')}.`);
  }
  const maxDeliver = positiveInt(o.maxDeliver, `${at} maxDeliver`);
  const concurrency = positiveInt(o.concurrency, `${at} concurrency`);
  const maxAckPending = positiveInt(o.maxAckPending, `${at} maxAckPending`);
  const prefetch = o.prefetch === undefined ? 2 * concurrency : positiveInt(o.prefetch, `${at} prefetch`);
  if (maxAckPending < concurrency) {
    throw new JetStreamConfigError(`${at}: maxAckPending (${maxAckPending}) is below concurrency (${concurrency}), so the extra workers could never get a message. Raise maxAckPending or lower concurrency.`);
  }
  if (o.deliverPolicy === 'by_start_sequence' && !(options.optStartSeq && options.optStartSeq > 0)) {
    throw new JetStreamConfigError(`${at}: deliverPolicy 'by_start_sequence' needs optStartSeq (a stream sequence ≥ 1).`);
  }
  let optStartTime: Date | undefined;
  if (o.deliverPolicy === 'by_start_time') {
    optStartTime = toDate(options.optStartTime);
    if (!optStartTime || Number.isNaN(optStartTime.getTime())) {
      throw new JetStreamConfigError(`${at}: deliverPolicy 'by_start_time' needs optStartTime (a Date or an ISO time).`);
    }
  }
  const deadLetter = options.deadLetter ?? deadLetterDefault;
  if (deadLetter !== false && (typeof deadLetter !== 'string' || deadLetterProblem(deadLetter))) {
    throw new JetStreamConfigError(`${at}: deadLetter ${describeValue(deadLetter)} is invalid: ${typeof deadLetter === 'string' ? deadLetterProblem(deadLetter) : 'not a string'}. Use a subject such as 'orders.deadletter' or a template such as 'dlq.{subject}', or false.`);
  }
  const backoffMs = resolveBackoff(at, o.backoff, options.backoff !== undefined, maxDeliver);
  if (mode === 'ordered' && (options.concurrency ?? 1) !== 1) {
    throw new JetStreamConfigError(`${at}: mode 'ordered' runs one message at a time, in stream order; concurrency ${describeValue(options.concurrency)} would break the order. Remove concurrency, or use mode 'shared'.`);
  }
  if (mode === 'ordered' && (o.deliverPolicy === 'last' || o.deliverPolicy === 'last_per_subject')) {
    throw new JetStreamConfigError(`${at}: mode 'ordered' starts at 'all', 'new', a sequence or a time; deliverPolicy '${o.deliverPolicy}' is not supported (the client would restart it from the first message after a gap). Use 'new' with a checkpoint, or mode 'shared'.`);
  }
  if (options.inactiveThreshold !== undefined && !perInstance) {
    throw new JetStreamConfigError(`${at}: inactiveThreshold applies to mode 'broadcast' and 'ordered' (a consumer per instance); this handler's mode is '${mode}', whose durable stays. Remove inactiveThreshold, or set the mode.`);
  }
  if (options.idempotent && options.manualAck) {
    throw new JetStreamConfigError(`${at}: idempotent records a message's key when the library settles it; with manualAck the handler settles, so nothing would be recorded. Record ctx.idempotencyKey in the handler (store.record(key, { tx })) and remove idempotent, or remove manualAck.`);
  }
  if (mode === 'ordered' && options.manualAck) {
    throw new JetStreamConfigError(`${at}: mode 'ordered' has no acks (the handler returning is the settle); remove manualAck.`);
  }
  return {
    subject,
    stream: options.stream,
    durable,
    mode,
    inactiveThresholdMs: positiveMs(options.inactiveThreshold ?? DEFAULTS.modes.inactiveThreshold, `${at} inactiveThreshold`),
    ackWaitMs: positiveMs(o.ackWait, `${at} ackWait`),
    maxDeliver,
    backoffMs,
    poisonErrors: resolvePoisonErrors(at, o.poisonErrors),
    maxAckPending,
    concurrency: mode === 'ordered' ? 1 : concurrency,
    prefetch,
    deliverPolicy: o.deliverPolicy,
    optStartSeq: options.optStartSeq,
    optStartTime,
    manualAck: options.manualAck ?? false,
    lag: resolveLag(at, options.lag),
    handlerTimeoutMs: positiveMs(o.handlerTimeout, `${at} handlerTimeout`),
    deadLetter: deadLetter === false ? undefined : deadLetter,
    handler,
    // The server decides on direct calls when Nest registers the handler.
    invocation: 'pipeline',
    idempotency: resolveIdempotency(at, options.idempotent, idempotencyStore, mode),
  };
}

/** A Date from what the user gave, or undefined for what cannot be one (never a throw). */
function toDate(value: unknown): Date | undefined {
  if (!(value instanceof Date) && typeof value !== 'string' && typeof value !== 'number') return undefined;
  return new Date(value);
}
