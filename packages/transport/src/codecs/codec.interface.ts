import type { MsgHdrs } from '@nats-io/nats-core';

/**
 * What a codec's `decode` wants besides the bytes. Parsing the headers and decoding the subject
 * cost time on every message (every message our client publishes carries a `Nats-Msg-Id`
 * header), so `decode` gets them only when the codec says so here.
 */
export interface CodecDecodeInputs {
  /** Pass the message headers. Default false (`decode` gets `undefined`). */
  readonly headers?: boolean;
  /** Pass the subject. Default false (`decode` gets `''`). */
  readonly subject?: boolean;
}

/**
 * Turns handler payloads into message bytes and back. Throwing from `decode` terminates the
 * message (or dead-letters it). `decode` gets the headers and the subject only when
 * `decodeInputs` asks for them.
 */
export interface JetStreamCodec {
  encode(data: unknown, subject: string): Uint8Array;
  decode(bytes: Uint8Array, headers: MsgHdrs | undefined, subject: string): unknown;
  /** What `decode` is given besides the bytes. Default: nothing. */
  readonly decodeInputs?: CodecDecodeInputs;
}
