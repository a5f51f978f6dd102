import { redactSecrets } from '../security/redact.js';

/**
 * A value as an error message shows it: JSON where it can be (BigInts as `12n`), cut to `max`
 * characters, and never a throw of its own (JSON.stringify throws on a BigInt or a cycle, String()
 * on an object without a prototype), so a bad option always ends as the library's error.
 */
export function describeValue(value: unknown, max = 120): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    try {
      text = typeof value === 'bigint' ? `${value}n` : String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  // A value may be a URL with credentials (connection: 'nats://user:pass@host'): redacted before it is cut.
  text = redactSecrets(text);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
