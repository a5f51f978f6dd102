import type { MessageHandler } from '@nestjs/microservices';
import { resolvePriority } from '../priority/priority-binding.js';
import { resolveBatch } from './resolve-batch.js';
import { DEFAULTS } from '../constants.js';
import { DEFAULT_CONNECTION_NAME, UnknownConnectionError } from '../connections/connection-errors.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { JetStreamEventOptions } from '../interfaces/jetstream-event-options.interface.js';
import type { ConsumerOptions } from '../interfaces/jetstream-options.interface.js';
import type { UnresolvedBinding } from './handler-binding.js';
import { toMillis, type Duration } from '../utils/duration.js';
import { deriveDurableName, nameProblem, subjectProblem } from '../utils/subjects.js';
import { InvalidSubjectError } from '../errors/input.errors.js';
import { describeValue } from '../errors/describe-value.js';
import { checkOptionObject } from '../config/option-checks.js';
import { backoffSchedule, HANDLER_OPTIONS } from '../config/option-tables.js';
import { resolveIdempotency } from '../idempotency/idempotency-key.js';
import type { IdempotencyStore } from '../interfaces/idempotency-store.interface.js';
import type { JetStreamCodec } from '../codecs/codec.interface.js';
import { DEFAULT_MODE, modeOf, modesWhere, type RefusableOption } from '../delivery/modes.js';

/**
 * The nak delays in ms. Each delay is checked with the options (`backoffSchedule`); what is left
 * depends on `maxDeliver`: an empty schedule would redeliver a failing message at once (the hot
 * loop we promise never happens), and delays a handler's own schedule lists beyond its
 * `maxDeliver - 1` retries would never be used.
 */
function resolveBackoff(at: string, backoff: readonly Duration[], own: boolean, maxDeliver: number): number[] {
  backoffSchedule(backoff, at, 'backoff');
  if (backoff.length === 0 && maxDeliver > 1) {
    throw new JetStreamConfigError(
      `${at}: backoff must be a non-empty array of delays, e.g. ['1s', '5s', '30s']; got []. Without a delay a failed attempt would be redelivered at once.`,
    );
  }
  const ms = backoff.map((d) => toMillis(d, `${at}: backoff`));
  if (own && ms.length > Math.max(maxDeliver - 1, 0)) {
    throw new JetStreamConfigError(
      `${at}: backoff lists ${ms.length} delays, but maxDeliver ${maxDeliver} allows only ${maxDeliver - 1} redelivery(ies): the delays after the first ${maxDeliver - 1} would never be used. Remove them or raise maxDeliver.`,
    );
  }
  return ms;
}

/** A handler's own codec: one that can decode (a handler never encodes), with well-formed `decodeInputs`. */
function resolveCodec(at: string, value: unknown): JetStreamCodec | undefined {
  if (value === undefined) return undefined;
  const codec = value as Partial<JetStreamCodec> | null;
  const inputs: unknown = codec?.decodeInputs;
  if (
    codec === null ||
    typeof codec !== 'object' ||
    typeof codec.decode !== 'function' ||
    (inputs !== undefined && (inputs === null || typeof inputs !== 'object'))
  ) {
    const got =
      typeof value === 'function' ? `the class ${value.name || '(anonymous)'}: pass an instance, new ${value.name || 'YourCodec'}()` : describeValue(value);
    throw new JetStreamConfigError(
      `${at}: codec must be a codec instance with decode() (e.g. codec: new RawCodec() for the payload bytes, or new JsonCodec()); got ${got}.`,
    );
  }
  return codec as JetStreamCodec;
}

/** The options a mode may refuse, in the order they are checked. */
const REFUSABLE: readonly RefusableOption[] = ['ackWait', 'maxAckPending', 'handlerTimeout'];

/** What a handler's binding is resolved against: the server's options that apply to every handler. */
export interface BindingContext {
  /** `consumerDefaults`: under the handler's own options. */
  readonly defaults?: ConsumerOptions;
  /** Derives the durable name when the handler names none. */
  readonly serviceName: string;
  /** The server's `deadLetter` route, for a handler that sets none. Default: none. */
  readonly deadLetterDefault?: string | false;
  /** The server's idempotency store, for an `idempotent` handler. */
  readonly idempotencyStore?: IdempotencyStore;
  /** The handler's `Class.method`, named in every error. */
  readonly owner?: string;
  /** The names of the `connections` option (a handler's `connection` must be one, or `default`). Default none. */
  readonly connections?: readonly string[];
}

/** Applies defaults and checks one handler's options; every error names the handler and the option. Pure. */
export function resolveBinding(subject: string, options: JetStreamEventOptions, handler: MessageHandler, context: BindingContext): UnresolvedBinding {
  const { defaults = {}, serviceName, deadLetterDefault = false, idempotencyStore, owner } = context;
  const at = `@JetStreamEvent('${subject}')${owner ? ` on ${owner}` : ''}`;
  const bad = typeof subject === 'string' ? subjectProblem(subject) : `it is not a string but ${typeof subject}`;
  if (bad) throw new InvalidSubjectError(String(subject), bad, 'handler', owner);
  // Every key and value the handler set; `defaults` (consumerDefaults) were checked at construction.
  checkOptionObject(options, HANDLER_OPTIONS, at);
  if (options.connection !== undefined && options.connection !== DEFAULT_CONNECTION_NAME && !context.connections?.includes(options.connection))
    throw new UnknownConnectionError(options.connection, at, [DEFAULT_CONNECTION_NAME, ...(context.connections ?? [])]);
  const mode = options.mode ?? DEFAULT_MODE;
  const facts = modeOf({ mode });
  const refused = REFUSABLE.find((option) => facts.refusedOptions[option] !== undefined && options[option] !== undefined);
  if (refused)
    throw new JetStreamConfigError(
      `${at}: mode '${mode}' ${facts.refusedOptions[refused]}, so ${refused} would be ignored; remove ${refused}, or use mode '${DEFAULT_MODE}'.`,
    );
  // A consumer per instance is made fresh by every instance: from 'new' unless the handler says otherwise.
  const perInstance = facts.perInstance;
  const o = { ...DEFAULTS.consumer, ...defaults, ...options };
  if (perInstance && options.deliverPolicy === undefined) o.deliverPolicy = 'new';
  const durable = options.durable ?? deriveDurableName(serviceName, subject);
  const badName = nameProblem(durable);
  if (badName) throw new JetStreamConfigError(`${at}: durable "${durable}" is invalid: ${badName}. Pass a durable made of letters, digits, "-" and "_".`);
  const { maxDeliver, concurrency, maxAckPending } = o;
  // The prefetch window's cap (it adapts below it): an explicit prefetch, else what maxAckPending leaves beside the handlers.
  const prefetch = o.prefetch ?? Math.max(1, maxAckPending - concurrency);
  if (maxAckPending < concurrency) {
    throw new JetStreamConfigError(
      `${at}: maxAckPending (${maxAckPending}) is below concurrency (${concurrency}), so the extra workers could never get a message. Raise maxAckPending or lower concurrency.`,
    );
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
  const backoffMs = resolveBackoff(at, o.backoff, options.backoff !== undefined, maxDeliver);
  const fixed = facts.fixedConcurrency;
  if (fixed && (options.concurrency ?? fixed.value) !== fixed.value) {
    throw new JetStreamConfigError(
      `${at}: mode '${mode}' ${fixed.error}; concurrency ${describeValue(options.concurrency)} would break the order. Remove concurrency, or use mode '${DEFAULT_MODE}'.`,
    );
  }
  if (facts.refusedStarts?.policies.includes(o.deliverPolicy)) {
    throw new JetStreamConfigError(`${at}: mode '${mode}' ${facts.refusedStarts.error(o.deliverPolicy)}`);
  }
  if (options.inactiveThreshold !== undefined && !perInstance) {
    throw new JetStreamConfigError(
      `${at}: inactiveThreshold applies to mode ${modesWhere((f) => f.perInstance)} (a consumer per instance); this handler's mode is '${mode}', whose durable stays. Remove inactiveThreshold, or set the mode.`,
    );
  }
  if (options.idempotent && options.manualAck) {
    throw new JetStreamConfigError(
      `${at}: idempotent records a message's key when the library settles it; with manualAck the handler settles, so nothing would be recorded. Record ctx.idempotencyKey in the handler (store.record(key, { tx })) and remove idempotent, or remove manualAck.`,
    );
  }
  if (facts.manualAckRefused && options.manualAck) {
    throw new JetStreamConfigError(`${at}: mode '${mode}' ${facts.manualAckRefused}; remove manualAck.`);
  }
  return {
    subject,
    stream: options.stream,
    durable,
    mode,
    inactiveThresholdMs: toMillis(options.inactiveThreshold ?? DEFAULTS.modes.inactiveThreshold, `${at}: inactiveThreshold`),
    ackWaitMs: toMillis(o.ackWait, `${at}: ackWait`),
    maxDeliver,
    backoffMs,
    poisonErrors: o.poisonErrors ?? [],
    maxAckPending,
    concurrency: fixed ? fixed.value : concurrency,
    prefetch,
    deliverPolicy: o.deliverPolicy,
    optStartSeq: options.optStartSeq,
    optStartTime,
    manualAck: options.manualAck ?? false,
    lag: options.lag,
    handlerTimeoutMs: toMillis(o.handlerTimeout, `${at}: handlerTimeout`),
    deadLetter: deadLetter === false ? undefined : deadLetter,
    codec: resolveCodec(at, options.codec),
    handler,
    // The server decides on direct calls when Nest registers the handler.
    invocation: 'pipeline',
    idempotency: resolveIdempotency(at, options.idempotent, idempotencyStore, mode),
    priority: resolvePriority(at, options, mode),
    batch: resolveBatch(at, options, { mode, maxAckPending, idempotent: options.idempotent !== undefined && options.idempotent !== false }),
    ...(options.connection !== undefined && options.connection !== DEFAULT_CONNECTION_NAME && { connection: options.connection }),
  };
}

/** A Date from what the user gave, or undefined for what cannot be one (never a throw). */
function toDate(value: unknown): Date | undefined {
  if (!(value instanceof Date) && typeof value !== 'string' && typeof value !== 'number') return undefined;
  return new Date(value);
}
