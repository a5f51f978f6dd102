import type { MsgHdrs } from '@nats-io/nats-core';

/**
 * Turns handler payloads into message bytes and back. Throwing from `decode` terminates the message.
 * `decode` is given the subject only when it declares three parameters (decoding it costs time per message).
 */
export interface JetStreamCodec {
  encode(data: unknown, subject: string): Uint8Array;
  decode(bytes: Uint8Array, headers: MsgHdrs | undefined, subject: string): unknown;
}
