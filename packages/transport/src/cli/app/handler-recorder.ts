import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { JETSTREAM_TRANSPORT } from '../../constants.js';

/** A handler Nest offered, as `JetStreamServer.addHandler` would receive it. */
export interface RecordedHandler {
  subject: string;
  callback: MessageHandler;
  isEventHandler: boolean;
  extras: Record<string, unknown>;
}

/**
 * A transport strategy that never connects: Nest offers it the app's JetStream handlers (it has the
 * JetStream transport's id) and it keeps them, so the CLI learns an app's handlers from its module
 * the way the real server does, without consuming anything.
 */
export class HandlerRecorder extends Server implements CustomTransportStrategy {
  override transportId = JETSTREAM_TRANSPORT;
  readonly handlers: RecordedHandler[] = [];

  override addHandler(pattern: unknown, callback: MessageHandler, isEventHandler = false, extras: Record<string, unknown> = {}): void {
    this.handlers.push({ subject: this.normalizePattern(pattern as string), callback, isEventHandler, extras });
  }

  listen(callback: (error?: unknown) => void): void {
    callback();
  }

  close(): void {}

  on(): void {}

  unwrap<T>(): T {
    throw new Error('HandlerRecorder has no connection: it only records handlers.');
  }
}
