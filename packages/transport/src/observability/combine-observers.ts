import type { MsgHdrs } from '@nats-io/nats-core';
import type { PubAck } from '@nats-io/jetstream';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';
import type {
  BatchObservation,
  ConsumeObserver,
  InstrumentedHandler,
  JetStreamInstrumentation,
  FastBatchEvent,
  PublishObserver,
  SettleOutcome,
} from './instrumentation.interface.js';

/** One consume observer for all the instrumentations that have one; undefined when none has (the hot path then makes no call). */
export function combineConsumeObservers(list: readonly JetStreamInstrumentation[]): ConsumeObserver | undefined {
  const observers = list.map((i) => i.consume).filter((o): o is ConsumeObserver => o !== undefined);
  if (observers.length <= 1) return observers[0];
  return {
    received: (handler: InstrumentedHandler, ctx: JetStreamContext) => observers.map((o) => o.received(handler, ctx)),
    run: <T>(tokens: unknown, call: () => T): T => nest(observers, 'run', tokens as unknown[], call),
    within: <T>(tokens: unknown, call: () => T): T => nest(observers, 'within', tokens as unknown[], call),
    handled: (tokens: unknown, error: unknown) => observers.forEach((o, i) => o.handled?.((tokens as unknown[])[i], error)),
    settled: (tokens: unknown, outcome: SettleOutcome, reason?: string) => observers.forEach((o, i) => o.settled((tokens as unknown[])[i], outcome, reason)),
    ...(observers.some((o) => o.batch) && { batch: (handler: InstrumentedHandler, tokens: readonly unknown[]) => combineBatch(observers, handler, tokens) }),
  };
}

/** Each observer's batch observation, made from its own token of each message; run nested (the first outermost). */
function combineBatch(observers: ConsumeObserver[], handler: InstrumentedHandler, tokens: readonly unknown[]): BatchObservation {
  const each = observers.map((o, i) =>
    o.batch?.(
      handler,
      tokens.map((t) => (t as unknown[])[i]),
    ),
  );
  return {
    run: <T>(call: () => T): T => each.reduceRight<() => T>((inner, b) => (b ? () => b.run(inner) : inner), call)(),
    ended: (error: unknown) => each.forEach((b) => b?.ended(error)),
  };
}

/** `call` inside each observer's `hook` (the first observer outermost), each with its own token. */
function nest<T>(observers: ConsumeObserver[], hook: 'run' | 'within', tokens: unknown[], call: () => T): T {
  let wrapped = call;
  for (let i = observers.length - 1; i >= 0; i--) {
    const wrap = observers[i][hook];
    if (!wrap) continue;
    const inner = wrapped;
    wrapped = () => wrap.call(observers[i], tokens[i], inner) as T;
  }
  return wrapped();
}

/** One publish observer for all the instrumentations that have one; undefined when none has. */
export function combinePublishObservers(list: readonly JetStreamInstrumentation[]): PublishObserver | undefined {
  const observers = list.map((i) => i.publish).filter((o): o is PublishObserver => o !== undefined);
  if (observers.length <= 1) return observers[0];
  return {
    started: (subject: string, msgId: string, headers: () => MsgHdrs, connection?: string) =>
      observers.map((o) => o.started(subject, msgId, headers, connection)),
    finished: (tokens: unknown, ack: PubAck | undefined, error?: unknown) => observers.forEach((o, i) => o.finished((tokens as unknown[])[i], ack, error)),
    fastBatch: (event: FastBatchEvent) => observers.forEach((o) => o.fastBatch?.(event)),
  };
}

/** `observer` telling each publish's named connection (the publishers of a named connection use it); undefined without one. */
export function publishObserverFor(observer: PublishObserver | undefined, connection: string): PublishObserver | undefined {
  if (!observer) return undefined;
  return {
    started: (subject: string, msgId: string, headers: () => MsgHdrs) => observer.started(subject, msgId, headers, connection),
    finished: (token: unknown, ack: PubAck | undefined, error?: unknown) => observer.finished(token, ack, error),
    fastBatch: (event: FastBatchEvent) => observer.fastBatch?.({ ...event, connection }),
  };
}
