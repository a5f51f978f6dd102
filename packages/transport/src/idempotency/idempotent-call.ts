import type { LoggerService } from '@nestjs/common';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { describeError, nakDelay } from '../settlement/settle-policy.js';
import type { Duration } from '../utils/duration.js';
import { readHeaders } from '../utils/headers.js';
import { DecodeError } from '../errors/handler.errors.js';
import type { IdempotencyBinding, IdempotentHandler } from './idempotency-key.js';

/** What the two steps need of the consumer runner. */
export interface IdempotencySettler {
  readonly binding: IdempotentHandler;
  ack(ctx: JetStreamContext): void;
  nak(ctx: JetStreamContext, delay?: Duration): void;
}

/**
 * Before an `idempotent` handler runs: makes the message's key (`ctx.idempotencyKey`) and asks
 * the store whether it was recorded. A recorded key is acked without running the handler; a store
 * that fails (database down) naks with the backoff, so the message is neither lost nor handled
 * without its check. Resolves true when the message was settled here. A key read from a header
 * block that cannot be parsed (a publisher writing the protocol itself) would fail on every
 * delivery: resolves the error to settle the message with for good instead (dead letter or term),
 * without settling it here.
 */
export async function settleIfRecorded(
  runner: IdempotencySettler,
  ctx: JetStreamContext,
  logger: LoggerService,
  attempt: number,
): Promise<boolean | DecodeError> {
  const { binding } = runner;
  const idem = binding.idempotency as IdempotencyBinding;
  let key: string | undefined;
  try {
    key = idem.keyOf(ctx);
    ctx.idempotencyKeyValue = key;
    if (!(await idem.store.seen(key))) return false;
  } catch (err) {
    if (key === undefined) {
      const msg = ctx.getMessage();
      // Read through readHeaders only here, where the key failed: the hot path reads the headers once, in keyOf.
      const unreadable = readHeaders(() => msg.headers).unreadable;
      if (unreadable !== undefined)
        return new DecodeError(msg.subject, msg.info.streamSequence, {
          cause: new Error(`its header block cannot be read (${unreadable}), so its idempotency key cannot be made`),
        });
    }
    const delay = nakDelay(attempt, binding.backoffMs);
    runner.nak(ctx, delay);
    logger.error?.(
      `${handlerName(binding)} did not run for message ${where(ctx)}: its idempotency key ${key === undefined ? 'could not be made' : `"${key}" could not be checked`}: ${describeError(err)}. The message is naked and redelivered in ${delay} ms.`,
    );
    return true;
  }
  runner.ack(ctx);
  logger.debug?.(`${handlerName(binding)} skipped message ${where(ctx)}: its idempotency key "${key}" is already recorded; acked without running the handler.`);
  return true;
}

/**
 * After an `idempotent` handler succeeded: records its key (a no-op when the handler recorded it
 * in its own transaction). A store that fails naks with the backoff, and says that the handler
 * will run again unless it recorded the key itself. Resolves false when the message was naked.
 */
export async function recordHandled(runner: IdempotencySettler, ctx: JetStreamContext, logger: LoggerService, attempt: number): Promise<boolean> {
  const { binding } = runner;
  const key = ctx.idempotencyKey;
  try {
    await (binding.idempotency as IdempotencyBinding).store.record(key);
    return true;
  } catch (err) {
    const delay = nakDelay(attempt, binding.backoffMs);
    runner.nak(ctx, delay);
    logger.error?.(
      `${handlerName(binding)} handled message ${where(ctx)} but its idempotency key "${key}" could not be recorded: ${describeError(err)}. The message is naked and redelivered in ${delay} ms; the handler runs again unless it recorded the key in its own transaction.`,
    );
    return false;
  }
}

function handlerName(b: IdempotentHandler): string {
  return `@JetStreamEvent('${b.subject}') (durable ${b.durable})`;
}

function where(ctx: JetStreamContext): string {
  const { info } = ctx.getMessage();
  return `${info.streamSequence} on "${ctx.getSubject()}" (stream ${info.stream})`;
}
