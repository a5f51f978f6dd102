import type { NodeConnectionOptions } from '@nats-io/transport-node';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';

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

/**
 * Credentials written into a server URL (`nats://user:pass@host:4222`, `nats://token@host:4222`,
 * or the same without a scheme) become `user`/`pass` (or `token`), and the NATS client gets the
 * URLs without them: nats.js v3 ignores a URL's userinfo (the login would be refused), and a URL it
 * never holds is one it cannot echo. Explicit `user`, `pass`, `token` or `authenticator` options
 * win over the URL's. Pure.
 */
export function liftUrlCredentials(options: NodeConnectionOptions): NodeConnectionOptions {
  const servers = [options.servers ?? []].flat();
  const userinfos = new Set<string>();
  const stripped = servers.map((server) => {
    const { scheme, userinfo, address } = splitUserinfo(server);
    if (userinfo === undefined) return server;
    userinfos.add(userinfo);
    return `${scheme}${address}`;
  });
  if (userinfos.size === 0) return options;
  if (userinfos.size > 1) {
    throw new JetStreamConfigError(
      'connection.servers carry different credentials in their URLs (user:password@ or token@): one connection logs in once. Give every URL the same ones, or better, none, and set connection.user and connection.pass (or token) instead.',
    );
  }
  const lifted: NodeConnectionOptions = { ...options, servers: Array.isArray(options.servers) ? stripped : stripped[0] };
  if (options.user !== undefined || options.pass !== undefined || options.token !== undefined || options.authenticator !== undefined) return lifted;
  const [userinfo] = userinfos;
  const colon = userinfo.indexOf(':');
  if (colon < 0) return { ...lifted, token: percentDecoded(userinfo) };
  return { ...lifted, user: percentDecoded(userinfo.slice(0, colon)), pass: percentDecoded(userinfo.slice(colon + 1)) };
}
