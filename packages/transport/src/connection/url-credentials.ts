import type { NodeConnectionOptions } from '@nats-io/transport-node';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';

const USERINFO = /^(\s*[a-z][a-z0-9+.-]*:\/\/)(.*)@/is;

/**
 * Credentials written into a server URL (`nats://user:pass@host:4222`, or `nats://token@host:4222`)
 * become `user`/`pass` (or `token`), and the NATS client gets the URLs without them: nats.js v3
 * ignores a URL's userinfo (the login would be refused), and a URL it never holds is one it cannot
 * echo. Explicit `user`, `pass`, `token` or `authenticator` options win over the URL's. Pure.
 */
export function liftUrlCredentials(options: NodeConnectionOptions): NodeConnectionOptions {
  const servers = [options.servers ?? []].flat();
  const userinfos = new Set<string>();
  const stripped = servers.map((server) => {
    const match = USERINFO.exec(server);
    if (!match) return server;
    userinfos.add(match[2]);
    return `${match[1]}${server.slice(match[0].length)}`;
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
  if (colon < 0) return { ...lifted, token: decode(userinfo) };
  return { ...lifted, user: decode(userinfo.slice(0, colon)), pass: decode(userinfo.slice(colon + 1)) };
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
