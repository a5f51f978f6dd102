import type { JetStreamCodec } from './codec.interface.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The default codec: JSON text in UTF-8. An empty payload decodes to `undefined`. */
export class JsonCodec implements JetStreamCodec {
  encode(data: unknown): Uint8Array {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError(`JSON cannot represent a value of type ${typeof data}`);
    return encoder.encode(text);
  }

  decode(bytes: Uint8Array): unknown {
    if (bytes.length === 0) return undefined;
    return JSON.parse(decoder.decode(bytes));
  }
}
