import type { MsgHdrs } from '@nats-io/nats-core';

/**
 * Turns handler payloads into message bytes and back. Throwing from `decode` terminates the message.
 * `decode` is given the headers only when it declares at least two parameters, and the subject
 * only when it declares three (parsing them costs time on every message); a parameter with a
 * default value does not count (`Function.length`), so declare them without defaults.
 */
export interface JetStreamCodec {
  encode(data: unknown, subject: string): Uint8Array;
  decode(bytes: Uint8Array, headers: MsgHdrs | undefined, subject: string): unknown;
}
