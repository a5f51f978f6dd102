import type { MsgHdrs } from '@nats-io/nats-core';

/** Events about messages settled for good: `JetStreamServer.on('terminated' | 'deadLetter' | 'deadLetterLost')`. */

/** A message settled for good without success: poison, or out of attempts. */
export interface TerminatedMessageEvent {
  subject: string;
  stream: string;
  consumer: string;
  streamSequence: number;
  deliveryCount: number;
  reason: string;
  /** True when attempts ran out; false for a poison message (decode, validation, term error). */
  exhausted: boolean;
  /**
   * The error that failed the message (the handler's, a pipe's, the codec's `DecodeError`), when
   * there was one: e.g. a `BadRequestException` whose `getResponse()` lists the failing fields.
   * Undefined for a delivery past the last attempt and for the advisory path.
   */
  error?: unknown;
}

/** What `JetStreamServer.on('deadLetter')` receives. */
export interface DeadLetterEvent extends TerminatedMessageEvent {
  /** Where it went. */
  deadLetterSubject: string;
  deadLetterStream: string;
  deadLetterSequence: number;
  /** True when this dead letter already existed (the other path, or a retry, got there first). */
  duplicate: boolean;
  /** Which path sent it: the handler's run, or the advisory safety net. */
  via: 'handler' | 'advisory';
  /** The payload bytes and headers of the dead letter. */
  data: Uint8Array;
  headers: MsgHdrs;
}

/** What a message that could not be recovered looked like: for `on('deadLetterLost')`. */
export interface DeadLetterLostEvent {
  stream: string;
  consumer: string;
  streamSequence: number;
  /**
   * What reported it: the safety net's `max_deliveries` or `terminated` advisory, or
   * `last_delivery`: the handler path could not dead-letter the server's last delivery (the
   * dead-letter stream was unavailable), so only the advisory path can still save it.
   */
  advisory: 'max_deliveries' | 'terminated' | 'last_delivery';
  why: string;
}
