import type { JsMsg } from '@nats-io/jetstream';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { sequenceKey } from '../ctx-host/sequence-key.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { describeValue } from '../errors/describe-value.js';
import type { IdempotencyKeyKind, IdempotencyStore } from '../interfaces/idempotency-store.interface.js';
import { DEFAULT_MODE, modeOf, type DeliveryMode } from '../delivery/modes.js';

const MSG_ID_HEADER = 'Nats-Msg-Id';

// The root index exports it from here; it is defined beside the context, which falls back to it.
export { sequenceKey };

/** The publisher's msgId (`Nats-Msg-Id`), or the sequence key for a message published without one. */
export function msgIdKey(msg: Pick<JsMsg, 'info' | 'headers'>): string {
  return msg.headers?.get(MSG_ID_HEADER) || sequenceKey(msg);
}

/** An `idempotent` handler's store and key, resolved from its options (`HandlerBinding.idempotency`). */
export interface IdempotencyBinding {
  store: IdempotencyStore;
  key: IdempotencyKeyKind;
  /** This message's key; throws when a custom key function returns no usable key. */
  keyOf: (ctx: JetStreamContext) => string;
}

/**
 * What idempotency reads of a handler's binding: its names (for messages), what bounds its
 * redeliveries, and its idempotency. A `HandlerBinding` is one; declared here so this folder
 * imports nothing of bindings/, which resolves it.
 */
export interface IdempotentHandler {
  readonly subject: string;
  readonly stream: string;
  readonly durable: string;
  readonly maxDeliver: number;
  readonly ackWaitMs: number;
  readonly handlerTimeoutMs: number;
  readonly backoffMs: number[];
  readonly idempotency?: IdempotencyBinding;
}

const bySequence = (ctx: JetStreamContext): string => sequenceKey(ctx.getMessage());
const byMsgId = (ctx: JetStreamContext): string => msgIdKey(ctx.getMessage());

/**
 * The `idempotent` option of the handler `at`, checked: undefined when the handler is not
 * idempotent. Every error names the handler and says what to change. Pure.
 */
export function resolveIdempotency(
  at: string,
  option: unknown,
  store: IdempotencyStore | undefined,
  mode: DeliveryMode = DEFAULT_MODE,
): IdempotencyBinding | undefined {
  if (option === undefined || option === false) return undefined;
  const key = keyOption(at, option);
  const refused = modeOf({ mode }).idempotencyRefused;
  if (refused) throw new JetStreamConfigError(`${at}: idempotent is not supported with mode '${mode}': ${refused}`);
  if (!store) {
    throw new JetStreamConfigError(
      `${at} is marked idempotent, but the server has no idempotency store to recognise duplicates with. Add idempotency: { store } to the JetStreamServer (or JetStreamModule) options, e.g. idempotency: { store: new SqlIdempotencyStore({ executor: sqliteExecutor(db), dialect: 'sqlite', createTable: true }) } (new MemoryIdempotencyStore() for tests and a single process), or remove idempotent from the handler.`,
    );
  }
  if (key === 'sequence') return { store, key, keyOf: bySequence };
  if (key === 'msgId') return { store, key, keyOf: byMsgId };
  return {
    store,
    key: 'custom',
    keyOf: (ctx) => {
      const made: unknown = key(ctx);
      if (typeof made !== 'string' || made === '') {
        throw new JetStreamConfigError(`${at}: the idempotent.key function returned ${describeValue(made)}; it must return a non-empty string.`);
      }
      return made;
    },
  };
}

function keyOption(at: string, option: unknown): 'sequence' | 'msgId' | ((ctx: JetStreamContext) => unknown) {
  if (option === true) return 'sequence';
  const bad = () =>
    new JetStreamConfigError(`${at}: idempotent must be true, false or { key: 'sequence' | 'msgId' | (ctx) => string }; got ${describeValue(option)}.`);
  if (typeof option !== 'object' || option === null || Array.isArray(option)) throw bad();
  const extra = Object.keys(option).filter((k) => k !== 'key');
  if (extra.length > 0) throw bad();
  const { key } = option as { key?: unknown };
  if (key === undefined || key === 'sequence') return 'sequence';
  if (key === 'msgId' || typeof key === 'function') return key as 'msgId' | ((ctx: JetStreamContext) => unknown);
  throw bad();
}
