import { headers as createHeaders, type MsgHdrs } from '@nats-io/nats-core';
import { checkHeader } from '../utils/headers.js';

/**
 * Nest's packet metadata (`ClientProxy#setOnDispatchHook` sets it, the server's context reads it:
 * a trace id, a tenant, a locale) travels as one message header per entry, `Nest-Meta-<key>`.
 */
export const METADATA_HEADER_PREFIX = 'Nest-Meta-';

/** Headers with the metadata added (a copy when `headers` is the caller's own object). */
export function withMetadata(headers: MsgHdrs | undefined, metadata: Record<string, string>, subject: string): MsgHdrs {
  const out = createHeaders();
  if (headers) for (const key of headers.keys()) for (const value of headers.values(key)) out.append(key, value);
  for (const [key, value] of Object.entries(metadata)) {
    const name = `${METADATA_HEADER_PREFIX}${key}`;
    const text = String(value);
    checkHeader(name, text, subject);
    out.set(name, text);
  }
  return out;
}

/** The metadata a message carries (its `Nest-Meta-*` headers), keys as the client wrote them. */
export function readMetadata(headers: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  const prefix = METADATA_HEADER_PREFIX.toLowerCase();
  for (const key of headers.keys()) {
    // An own property even for a key like `__proto__` (from the wire): plain assignment would set the object's prototype.
    if (key.toLowerCase().startsWith(prefix))
      Object.defineProperty(out, key.slice(METADATA_HEADER_PREFIX.length), { value: headers.get(key), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
