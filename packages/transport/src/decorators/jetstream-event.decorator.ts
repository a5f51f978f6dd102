import { EventPattern } from '@nestjs/microservices';
import { JETSTREAM_EXTRAS_KEY, JETSTREAM_TRANSPORT } from '../constants.js';
import type { JetStreamEventOptions } from '../interfaces/jetstream-event-options.interface.js';

/**
 * Handles messages on `subject` through a durable JetStream pull consumer. It is Nest's
 * `@EventPattern` bound to the JetStream transport only, so `Transport.NATS` never takes it.
 */
export function JetStreamEvent(subject: string, options: JetStreamEventOptions = {}): MethodDecorator {
  // Nest 12 types its decorator by payload; ours stays a plain MethodDecorator for Nest 11 and 12 alike.
  return EventPattern(subject, JETSTREAM_TRANSPORT, { [JETSTREAM_EXTRAS_KEY]: options }) as unknown as MethodDecorator;
}
