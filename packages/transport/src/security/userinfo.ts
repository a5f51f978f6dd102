// A server address's userinfo (`user:pass@`, `token@`), with or without a scheme: the one parser the
// redactor, the credential lifting, the CLI and the connection log share.

/** A server address cut around its credentials: `scheme` + (`userinfo` + `@`) + `address` gives it back. */
export interface ServerParts {
  /** `nats://` (any scheme, as written), or `''` for a scheme-less `host:port`, which nats.js accepts too. */
  scheme: string;
  /** `user:password` or a token, percent-encoded as written; absent when the address carries none. */
  userinfo?: string;
  /** Host, port and anything after them: `127.0.0.1:4222`, `[::1]:4443`, `nats.example:8080/ws`. */
  address: string;
}

const SCHEME = /^\s*[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Splits one server address, with or without a scheme (`nats://alice:pw@h:4222`,
 * `alice:pw@h:4222`, `token@[::1]:4222`), around its userinfo: everything before the last `@`
 * (a careless password may hold `/` or `@`). The one parser of a server's credentials: the
 * redactor, `liftUrlCredentials`, the redrive command and the connection log all use it. Pure.
 */
export function splitUserinfo(server: string): ServerParts {
  const scheme = SCHEME.exec(server)?.[0] ?? '';
  const rest = server.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  if (at < 0) return { scheme, address: rest };
  return { scheme, userinfo: rest.slice(0, at), address: rest.slice(at + 1) };
}

/** `value` percent-decoded (`p%40ss` → `p@ss`), or as it is where it is not valid percent-encoding. */
export function percentDecoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
