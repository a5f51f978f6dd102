import { EventPattern } from '@nestjs/microservices';
import { JETSTREAM_CLASS_KEY, JETSTREAM_EXTRAS_KEY, JETSTREAM_METHOD_KEY, JETSTREAM_TRANSPORT } from '../constants.js';
import type { JetStreamEventOptions } from '../interfaces/jetstream-event-options.interface.js';

/**
 * Handles messages on `subject` through a JetStream consumer (a shared durable by default; see
 * the `mode` option). It is Nest's
 * `@EventPattern` bound to the JetStream transport only, so `Transport.NATS` never takes it.
 * Its options are checked when Nest registers the handler on a `JetStreamServer`: an unknown or
 * misspelt option is a boot error naming `Class.method`.
 */
export function JetStreamEvent(subject: string, options: JetStreamEventOptions = {}): MethodDecorator {
  return jetStreamHandler(subject, options);
}

/** @internal `@JetStreamEvent` with more extras for the server to read (a cron job's schedule). */
export function jetStreamHandler(subject: string, options: JetStreamEventOptions, more: Record<string, unknown> = {}): MethodDecorator {
  return (target, key, descriptor) => {
    // The method's name rides along, so the server can call it directly (see `directCalls`), and
    // with its class names the handler when its options are checked (at registration).
    const owner = (target as { constructor?: { name?: string } }).constructor?.name;
    const extras = { ...more, [JETSTREAM_EXTRAS_KEY]: options, [JETSTREAM_METHOD_KEY]: key, [JETSTREAM_CLASS_KEY]: owner };
    // Nest 12 types its decorator by payload; ours stays a plain MethodDecorator for Nest 11 and 12 alike.
    (EventPattern(subject, JETSTREAM_TRANSPORT, extras) as unknown as MethodDecorator)(target, key, descriptor);
  };
}
