import type { LoggerService } from '@nestjs/common';
import type { HandlerBinding } from '../../bindings/handler-binding.js';
import type { JetStreamCodec } from '../../codecs/codec.interface.js';
import type { JetStreamContext } from '../../ctx-host/jetstream.context.js';
import type { DeadLetterEvent } from '../../events/settle.events.js';
import type { ConsumeObserver } from '../../observability/instrumentation.interface.js';
import type { ProcessingHooks } from '../processing-hooks.js';

/** Publishes a dead letter (resolves after its PubAck with what was stored, rejects when it could not): the `DeadLetterRouter`. */
export interface DeadLetterRoute {
  route(binding: HandlerBinding, ctx: JetStreamContext, reason: string, exhausted: boolean, error?: unknown): Promise<DeadLetterEvent>;
}

/** What a message settled for good tells the app: log lines and the server's events. Reasons come redacted. */
export interface SettleReporter {
  /** Terminated without a dead-letter route; `error` is what failed the message, when something threw. */
  terminated(ctx: JetStreamContext, reason: string, exhausted: boolean, error?: unknown): void;
  /** Stored as a dead letter. */
  deadLettered(event: DeadLetterEvent, error?: unknown): void;
  /** The dead-letter publish failed on the server's last delivery: the message will not come back. */
  stranded(ctx: JetStreamContext, why: string): void;
}

/**
 * What the attempt pipeline of every runner is handed when the runner is made: nothing here
 * goes back through the server.
 */
export interface AttemptWiring {
  readonly logger: LoggerService;
  /** The server's codec (a handler's own codec wins). */
  readonly codec: JetStreamCodec;
  /** Whether the server understands `+TERM reason` (2.10.4+); older ones ignore the whole term. */
  readonly termReasonSupported: boolean;
  /**
   * Removes the connection's credentials. Applied once where a reason is made (the settle decision, a
   * handler's `ctx.term(reason)`): the reporter and the dead-letter route get reasons already redacted.
   */
  readonly redact: (text: string) => string;
  /** The dead-letter router; undefined when no handler of the server has a route. */
  readonly deadLetters?: DeadLetterRoute;
  readonly reporter: SettleReporter;
  /** Metrics and tracing hooks; undefined when neither is on (then no per-message call is made). */
  readonly consumeObserver?: ConsumeObserver;
  /** NestJS 12's processing hooks, when the app set any (`setOnProcessingStartHook`/`EndHook`). */
  readonly processingHooks?: ProcessingHooks;
}
