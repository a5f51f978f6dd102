import type { LoggerService } from '@nestjs/common';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';
import type { DeadLetterLostEvent, TerminatedMessageEvent } from '../events/settle.events.js';
import { errorStack, withStack } from '../settlement/error-detail.js';
import { RedactedLine } from '../security/redacting-logger.js';
import type { SettleReporter } from '../consuming/attempt/attempt-wiring.js';

// The lines below are redacted once, where they are made (RedactedLine): the reason and the
// failure came redacted (see AttemptWiring.redact), the message's subject is redacted here.

/** Logs a final failure at error level, with the stack as Nest's `LoggerService.error(message, stack)` takes it (a failure redacted where it was caught). */
function logFinal(logger: LoggerService, line: string, error: unknown): void {
  const stack = errorStack(error);
  // An undefined second argument would be printed as a message of its own by Nest's logger.
  if (stack) logger.error(new RedactedLine(line), new RedactedLine(stack));
  else logger.error(new RedactedLine(line));
}

/** A message terminated without a dead-letter route: logged with the error's stack, and the `terminated` event. */
export function reportTerminated(
  logger: LoggerService,
  emit: (event: TerminatedMessageEvent) => void,
  ctx: JetStreamContext,
  reason: string,
  exhausted: boolean,
  error: unknown,
  redact: (text: string) => string,
): void {
  const info = ctx.getInfo();
  const event: TerminatedMessageEvent = {
    subject: ctx.getSubject(),
    stream: info.stream,
    consumer: info.consumer,
    streamSequence: info.streamSequence,
    deliveryCount: info.deliveryCount,
    reason,
    exhausted,
    ...(error !== undefined && { error }),
  };
  logFinal(
    logger,
    `Terminated message ${info.streamSequence} on "${redact(event.subject)}" (${info.stream}/${info.consumer}, delivery ${info.deliveryCount}): ${reason}`,
    error,
  );
  emit(event);
}

/** The dead-letter publish failed on the server's last delivery: logged, and the `deadLetterLost` event. */
export function reportStranded(
  logger: LoggerService,
  emit: (event: DeadLetterLostEvent) => void,
  ctx: JetStreamContext,
  why: string,
  advisoriesOn: boolean,
  redact: (text: string) => string,
): void {
  const info = ctx.getInfo();
  const event: DeadLetterLostEvent = {
    stream: info.stream,
    consumer: info.consumer,
    streamSequence: info.streamSequence,
    advisory: 'last_delivery',
    why: `its dead letter could not be published on the server's last delivery (${info.deliveryCount}) (${why}); the server will not deliver it again. It stays in ${info.stream} #${info.streamSequence}${advisoriesOn ? ' and the advisory safety net may still dead-letter it' : ''}: read it by sequence and republish it, or fix the dead-letter stream and redrive`,
  };
  logger.error(
    new RedactedLine(`Cannot dead-letter message ${info.streamSequence} on "${redact(ctx.getSubject())}" (${info.stream}/${info.consumer}): ${event.why}`),
  );
  emit(event);
}

/** What a server's runners report through (`SettleReporter`): log lines and the server's `terminated`, `deadLetter`, `deadLetterLost` events. */
export function settleReporter(
  logger: LoggerService,
  emit: { terminated(event: TerminatedMessageEvent): void; deadLetterLost(event: DeadLetterLostEvent): void },
  advisoriesOn: boolean,
  redact: (text: string) => string,
): SettleReporter {
  return {
    terminated: (ctx, reason, exhausted, error) => reportTerminated(logger, emit.terminated, ctx, reason, exhausted, error, redact),
    stranded: (ctx, why) => reportStranded(logger, emit.deadLetterLost, ctx, why, advisoriesOn, redact),
    // A warning (nothing is lost), with the stack of the last failure below it. (The `deadLetter` event is the router's.)
    deadLettered: (event, error) =>
      logger.warn(
        new RedactedLine(
          withStack(
            `Dead-lettered message ${event.streamSequence} on "${redact(event.subject)}" (${event.stream}/${event.consumer}, delivery ${event.deliveryCount}) to "${redact(event.deadLetterSubject)}" (${event.deadLetterStream} #${event.deadLetterSequence}): ${event.reason}`,
            error,
          ),
        ),
      ),
  };
}
