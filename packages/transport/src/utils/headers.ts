/** What NATS headers may carry, checked before a publish: one place for every header the library sends. */
import type { MsgHdrs } from '@nats-io/nats-core';
import { LIMITS } from '../constants.js';
import { describeValue } from '../errors/describe-value.js';
import { InvalidHeaderError } from '../errors/input.errors.js';

/** A header name: printable ASCII (33 to 126) without ":", as RFC 822 and the NATS protocol say. */
const NAME_VALID = /^[!-9;-~]+$/;
/** Control characters but the horizontal tab: CR and LF would end the header line (header injection), the others reach logs and terminals. */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARACTERS = /[\x00-\x08\x0a-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS_ALL = /[\x00-\x08\x0a-\x1f\x7f]/g;

/** Why `name` cannot be a header name, or undefined when it can. */
export function headerNameProblem(name: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'the name is empty';
  if (!NAME_VALID.test(name)) return 'the name has a character other than printable ASCII (a space, a ":", a control character or non-ASCII)';
  return undefined;
}

/** Why `value` cannot be a header value, or undefined when it can. */
export function headerValueProblem(value: string): string | undefined {
  const bad = CONTROL_CHARACTERS.exec(value);
  if (!bad) return undefined;
  const code = bad[0].charCodeAt(0);
  const which = code === 0x0d ? 'a CR' : code === 0x0a ? 'an LF' : `control character U+${code.toString(16).padStart(4, '0').toUpperCase()}`;
  return `the value has ${which} at position ${bad.index}`;
}

/** `text` with every control character but tab replaced by U+FFFD, and whether any was. */
export function withoutControlCharacters(text: string): { text: string; replaced: boolean } {
  if (!CONTROL_CHARACTERS.test(text)) return { text, replaced: false };
  return { text: text.replace(CONTROL_CHARACTERS_ALL, '\uFFFD'), replaced: true };
}

/** Header names already checked: a name is valid or not for good, and most publishers send a handful of names. */
const validHeaderNames = new Set<string>();
const VALID_HEADER_NAMES_KEPT = 1_000;

/**
 * Throws `InvalidHeaderError` naming the header when NATS cannot carry it as given (header injection
 * included). Runs per published header: a known-good name skips its check.
 */
export function checkHeader(name: string, value: string, subject: string): void {
  if (!validHeaderNames.has(name)) {
    const why = headerNameProblem(name);
    if (why) throw new InvalidHeaderError(name, subject, why);
    if (validHeaderNames.size < VALID_HEADER_NAMES_KEPT) validHeaderNames.add(name);
  }
  const why = headerValueProblem(value);
  if (why) throw new InvalidHeaderError(name, subject, why);
}

/** @internal How many header names are cached as valid (for tests). */
export function validHeaderNamesCached(): number {
  return validHeaderNames.size;
}

/**
 * The headers of a received message, or why they cannot be read: the client parses them on first
 * use and throws on a malformed name (possible from any publisher writing the protocol itself).
 */
export function readHeaders(read: () => MsgHdrs | undefined): { headers?: MsgHdrs; unreadable?: string } {
  try {
    return { headers: read() };
  } catch (err) {
    return { unreadable: err instanceof Error ? `${err.name}: ${describeValue(err.message, LIMITS.maxQuoted)}` : describeValue(err, LIMITS.maxQuoted) };
  }
}
