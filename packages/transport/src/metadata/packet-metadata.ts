import { headers as createHeaders, type MsgHdrs } from '@nats-io/nats-core';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';

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
    try {
      out.set(`${METADATA_HEADER_PREFIX}${key}`, String(value));
    } catch (err) {
      throw new JetStreamConfigError(
        `Packet metadata "${key}" for "${subject}" cannot travel as a header: ${err instanceof Error ? err.message : String(err)}. Metadata keys are printable ASCII without ":" or spaces; values have no CR/LF.`,
        { cause: err },
      );
    }
  }
  return out;
}

/** The metadata a message carries (its `Nest-Meta-*` headers), keys as the client wrote them. */
export function readMetadata(headers: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  const prefix = METADATA_HEADER_PREFIX.toLowerCase();
  for (const key of headers.keys()) {
    if (key.toLowerCase().startsWith(prefix)) out[key.slice(METADATA_HEADER_PREFIX.length)] = headers.get(key);
  }
  return out;
}
