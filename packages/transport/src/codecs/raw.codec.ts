import type { JetStreamCodec } from './codec.interface.js';

const encoder = new TextEncoder();

/** Bytes in, bytes out: handlers receive the payload as a `Uint8Array`; strings are sent as UTF-8. */
export class RawCodec implements JetStreamCodec {
  encode(data: unknown): Uint8Array {
    if (data instanceof Uint8Array) return data;
    if (typeof data === 'string') return encoder.encode(data);
    throw new TypeError(`the raw codec sends a Uint8Array or a string, not ${data === null ? 'null' : typeof data}`);
  }

  decode(bytes: Uint8Array): Uint8Array {
    return bytes;
  }
}
