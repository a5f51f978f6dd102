import type { NodeConnectionOptions } from '@nats-io/transport-node';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { percentDecoded, splitUserinfo, type ServerParts } from '../security/userinfo.js';

export { percentDecoded, splitUserinfo, type ServerParts };

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
