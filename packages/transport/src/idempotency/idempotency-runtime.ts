import type { LoggerService } from '@nestjs/common';
import { DEFAULTS } from '../constants.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { describeError } from '../settlement/settle-policy.js';
import { toMillis } from '../utils/duration.js';
import { subjectsOverlap } from '../utils/subjects.js';
import type { IdempotencyOptions } from '../interfaces/idempotency-store.interface.js';
import type { IdempotentHandler } from './idempotency-key.js';

/**
 * The longest a message of `b` can take from its first delivery to its last: each attempt may
 * be kept alive up to `handlerTimeout` (or wait out `ackWait`), then wait its backoff.
 */
export function redeliverySpanMs(b: Pick<IdempotentHandler, 'maxDeliver' | 'ackWaitMs' | 'handlerTimeoutMs' | 'backoffMs'>): number {
  return b.maxDeliver * (Math.max(b.ackWaitMs, b.handlerTimeoutMs) + Math.max(0, ...b.backoffMs));
}

/**
 * Boot checks of the `idempotent` handlers against each other and against `retain`. Pure.
 * Two handlers keyed by sequence or msgId that read the same messages would share their keys
 * (the first to handle a message would make the other skip it), so they need their own keys.
 */
export function checkIdempotentBindings(bindings: readonly IdempotentHandler[], options: IdempotencyOptions): void {
  const idempotent = bindings.filter((b) => b.idempotency);
  for (let i = 0; i < idempotent.length; i++) {
    for (let j = i + 1; j < idempotent.length; j++) {
      const [a, b] = [idempotent[i], idempotent[j]];
      if (a.stream !== b.stream || a.idempotency!.key === 'custom' || b.idempotency!.key === 'custom' || !subjectsOverlap(a.subject, b.subject)) continue;
      throw new JetStreamConfigError(
        `@JetStreamEvent('${a.subject}') and @JetStreamEvent('${b.subject}') are both idempotent on stream ${a.stream} and can read the same messages with the same keys: the first to handle a message would make the other skip it. Give one of them its own key, e.g. idempotent: { key: (ctx) => \`${b.durable}:\${ctx.getInfo().stream}:\${ctx.getInfo().streamSequence}\` }.`,
      );
    }
  }
  if (options.pruneInterval === undefined) return;
  const retainMs = toMillis(options.retain ?? DEFAULTS.idempotency.retain, 'idempotency.retain');
  for (const b of idempotent) {
    const span = redeliverySpanMs(b);
    if (retainMs < span) {
      throw new JetStreamConfigError(
        `idempotency.retain (${retainMs} ms) is shorter than the longest redelivery of @JetStreamEvent('${b.subject}'): maxDeliver ${b.maxDeliver} × (the longer of ackWait and handlerTimeout, ${Math.max(b.ackWaitMs, b.handlerTimeoutMs)} ms, + the longest backoff, ${Math.max(0, ...b.backoffMs)} ms) = ${span} ms; a key pruned before its last redelivery would let that redelivery run the handler again. Raise retain above ${span} ms (and above the stream's duplicateWindow).`,
      );
    }
  }
}

/**
 * At `listen()`, before any handler runs: initialises the store, checks the handlers, and starts
 * pruning when `pruneInterval` is set (an unref'd timer; one prune at a time; failures logged).
 * Resolves to what `close()` calls to stop it.
 */
export async function startIdempotency(
  options: IdempotencyOptions | undefined,
  bindings: readonly IdempotentHandler[],
  logger: LoggerService,
): Promise<(() => void) | undefined> {
  if (!options) return undefined;
  checkIdempotentBindings(bindings, options);
  await options.store.init?.();
  if (options.pruneInterval === undefined) return undefined;
  const { store } = options;
  const retain = options.retain ?? DEFAULTS.idempotency.retain;
  let pruning = false;
  const timer = setInterval(
    () => {
      if (pruning) return;
      pruning = true;
      Promise.resolve()
        .then(() => store.prune!(retain))
        .then(
          (removed) => logger.debug?.(`Pruned ${removed} idempotency key(s) older than ${String(retain)}.`),
          (err: unknown) =>
            logger.warn?.(`Could not prune idempotency keys older than ${String(retain)}: ${describeError(err)}. Retrying at the next interval.`),
        )
        .finally(() => (pruning = false));
    },
    toMillis(options.pruneInterval, 'idempotency.pruneInterval'),
  );
  timer.unref();
  return () => clearInterval(timer);
}
