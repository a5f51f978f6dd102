/**
 * Credentials never leave the process: every message the library prints or serves goes through
 * `redactSecrets` (patterns) and, where the connection options are known, a `Redactor` that also
 * removes their verbatim values. Reusable by anything that prints a connection (a CLI, a generated
 * document): keep host and port, drop the rest.
 */

import { MIN_VERBATIM_SECRET_LENGTH, REDACTED } from '../constants.js';
import { percentDecoded, splitUserinfo } from './userinfo.js';

/** The connection options that can carry a secret (a subset of `@nats-io/transport-node`'s). */
export interface SecretBearingOptions {
  servers?: string | string[];
  user?: string;
  pass?: string;
  token?: string;
}

type Replacement = string | ((match: string, ...groups: string[]) => string);

// Order matters: whole blocks first, then the tokens they contain.
const PATTERNS: readonly [RegExp, Replacement][] = [
  // A .creds file or any PEM private key, whole: from its BEGIN line to its END line.
  [/-{3,}\s*BEGIN [A-Z0-9 ]*(?:JWT|SEED|PRIVATE KEY)\s*-{3,}[\s\S]*?-{3,}\s*END [A-Z0-9 ]*(?:JWT|SEED|PRIVATE KEY)\s*-{3,}/g, REDACTED],
  // URL userinfo (user:password@, or a token@): everything between "scheme://" and the last "@" of the authority.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s?#@]*(?:@[^/\s?#@]*)*@/gi, `$1${REDACTED}@`],
  // A server without a scheme, as nats.js takes it: `user:password@host[:port]` or `token@host:port`, up to the
  // last "@" before the host. `alice@example.com` (no password, no port) is an e-mail address and stays.
  [
    /(^|[\s,;(<[{'"=])([^\s/?#@,;()<>[\]{}'"]+(?:@[^\s/?#@,;()<>[\]{}'"]+)*)@(\[[0-9a-z:.%]+\]|[a-z0-9_-]+(?:\.[a-z0-9_-]+)*)(:\d+)?/gi,
    (match, lead, userinfo, host, port) => (userinfo.includes(':') || port ? `${lead}${REDACTED}@${host}${port ?? ''}` : match),
  ],
  // nkey seeds: S + the key's role (O, A, U, N, C, X, P...) + base32.
  [/\bS[A-Z][A-Z2-7]{54,}\b/g, REDACTED],
  // JWTs (a NATS user JWT, a bearer token): base64url header.payload.signature.
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED],
  // A secret field in a JSON-ish dump (the CONNECT line, an options object) or an environment
  // (`NATS_TOKEN=…`, `MY_APP_PASSWORD: …`, `authToken: …`): any name that ends in a secret's name.
  [/(["']?\b[a-z0-9_]*(?:pass|password|auth_token|token|sig|nkey_seed|seed|jwt)["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;}]+)/gi, `$1${REDACTED}`],
];

/** `text` without credentials that can be recognised by their shape: URL userinfo (with or without a scheme), nkey seeds, JWTs, .creds and PEM key blocks, `pass`/`token` fields. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = typeof replacement === 'string' ? out.replace(pattern, replacement) : out.replace(pattern, replacement);
  return out;
}

/** Removes the secrets of one connection from any text; `redact.secrets` holds the verbatim values it searches. */
export interface Redactor {
  (text: string): string;
  readonly secrets: readonly string[];
}

/**
 * The verbatim secrets of connection options: `pass`, `token`, and each server URL's userinfo and
 * password (raw and percent-decoded; a scheme-less `user:pass@host:port` too). A user name is an
 * identity, not a secret, and often the service's own name (`billing`, as in the durable `billing__orders`): it is removed where it is
 * part of a credential (a URL's userinfo), never as a word, or every consumer name would be `***`.
 */
export function connectionSecrets(options: SecretBearingOptions | undefined): string[] {
  const found = new Set<string>();
  const add = (value: unknown) => {
    if (typeof value !== 'string') return;
    for (const v of [value, percentDecoded(value)]) if (v.length >= MIN_VERBATIM_SECRET_LENGTH) found.add(v);
  };
  add(options?.pass);
  add(options?.token);
  for (const server of [options?.servers ?? []].flat()) {
    const { userinfo } = splitUserinfo(server);
    if (userinfo === undefined) continue;
    add(userinfo);
    const colon = userinfo.indexOf(':');
    if (colon >= 0) add(userinfo.slice(colon + 1));
  }
  // Longest first, so that a password containing the user name is removed whole.
  return [...found].sort((a, b) => b.length - a.length);
}

/** A redactor for one connection: its verbatim secrets plus every pattern of `redactSecrets`. */
export function createRedactor(options?: SecretBearingOptions, extraSecrets: readonly string[] = []): Redactor {
  const secrets = [...new Set([...connectionSecrets(options), ...extraSecrets.filter((s) => s.length >= MIN_VERBATIM_SECRET_LENGTH)])].sort(
    (a, b) => b.length - a.length,
  );
  const redact = (text: string): string => {
    let out = redactSecrets(text);
    for (const secret of secrets) out = out.split(secret).join(REDACTED);
    return out;
  };
  return Object.assign(redact, { secrets });
}

/**
 * Redacts, in place, the `message` and `stack` of `err` and of every error in its `cause` chain
 * (an error from the NATS client that echoes a URL, say), so that logging the error, causes
 * included, prints no secret. Types and other fields are kept: `instanceof` checks still work.
 */
export function redactErrorChain<T>(err: T, redact: (text: string) => string = redactSecrets): T {
  const seen = new Set<unknown>();
  for (let e: unknown = err, depth = 0; e instanceof Error && !seen.has(e) && depth < 8; depth++) {
    seen.add(e);
    for (const key of ['message', 'stack'] as const) {
      const value = e[key];
      if (typeof value !== 'string') continue;
      const clean = redact(value);
      if (clean === value) continue;
      try {
        Object.defineProperty(e, key, { value: clean, writable: true, configurable: true, enumerable: false });
      } catch {
        // A frozen error cannot be changed; the messages built from it are redacted all the same.
      }
    }
    e = e.cause;
  }
  return err;
}
