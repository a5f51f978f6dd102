import { modeOf, type DeliveryMode } from '../delivery/modes.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { BatchBinding, BatchHandlerOptions } from '../interfaces/batch-options.interface.js';
import { toMillis } from '../utils/duration.js';

/** `batch.maxWait` when unset. */
export const DEFAULT_BATCH_MAX_WAIT = '1s';

/** What else of the handler a batch is checked against. */
export interface BatchContext {
  readonly mode: DeliveryMode;
  readonly maxAckPending: number;
  readonly idempotent: boolean;
}

/** `batch` of one handler, checked; every error names the handler and the option. Pure. */
export function resolveBatch(at: string, options: BatchHandlerOptions, handler: BatchContext): BatchBinding | undefined {
  const batch = options.batch;
  if (batch === undefined) return undefined;
  const refused = modeOf({ mode: handler.mode }).batchRefused;
  if (refused) throw new JetStreamConfigError(`${at}: batch needs mode 'shared' or 'broadcast'; mode '${handler.mode}' ${refused}`);
  if (typeof batch.size !== 'number' || !Number.isInteger(batch.size) || batch.size < 1) {
    throw new JetStreamConfigError(`${at}: batch.size must be a whole number ≥ 1 (the most messages in one batch); got ${String(batch.size)}.`);
  }
  if (batch.size > handler.maxAckPending) {
    throw new JetStreamConfigError(
      `${at}: batch.size (${batch.size}) is above maxAckPending (${handler.maxAckPending}), so a batch could never fill. Lower batch.size or raise maxAckPending.`,
    );
  }
  if (handler.idempotent) {
    throw new JetStreamConfigError(
      `${at}: idempotent records one message's key per handler call; a batch handler settles many at once. Remove idempotent and make the bulk write idempotent (e.g. an upsert keyed by ctx.idempotencyKey of each message).`,
    );
  }
  const maxWaitMs = toMillis(batch.maxWait ?? DEFAULT_BATCH_MAX_WAIT, `${at}: batch.maxWait`);
  if (maxWaitMs <= 0)
    throw new JetStreamConfigError(`${at}: batch.maxWait must be more than 0 (how long a partial batch waits); got ${String(batch.maxWait)}.`);
  return { size: batch.size, maxWaitMs };
}
