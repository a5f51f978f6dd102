import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { errors } from '@nats-io/nats-core';
import { connect, type NodeConnectionOptions } from '@nats-io/transport-node';
import { causeOf } from '../errors/error-causes.js';
import { JetStreamConnectionError } from '../errors/jetstream-transport.error.js';
import { requireTlsWhereAsked, TLS_NOT_OFFERED_FIX, tlsNotOffered } from './tls-required.js';
import { createRedactor, redactErrorChain } from '../security/redact.js';
import { liftUrlCredentials } from './url-credentials.js';
import { attachSteering, ReconnectSteering } from './reconnect-steering.js';

export const DEFAULT_SERVERS = 'nats://127.0.0.1:4222';

export interface OpenConnection {
  nc: NatsConnection;
  jsm: JetStreamManager;
  /** The version the connected server reports, e.g. `2.9.10`. */
  serverVersion: string;
}

/**
 * Connects and proves JetStream answers; fails fast with an error that says what to fix.
 * `noAsyncTraces` defaults to true: with traces on, the client builds two Error objects (with
 * stack traces) for every request, every publish included, which is about half of a publish's
 * CPU (bench/RESULTS.md); our errors name the subject and the attempt instead.
 */
/** Whether a connect error comes from TLS (a certificate not trusted, a name not matching, a handshake refused). */
function tlsProblem(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 8; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)) return true;
    if (typeof message === 'string' && /certificate|tls|ssl/i.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** `domain`: the JetStream domain its JetStream API calls go to (the app's `domain` option). */
export async function openConnection(options: NodeConnectionOptions | undefined, who: string, domain?: string): Promise<OpenConnection> {
  // Reconnect for as long as the service runs: the client's default (10 attempts about 2 s apart)
  // turned an outage of 20 s into a service that never consumed again.
  // Messages name the servers and echo the client's errors: both without any credential.
  const redact = createRedactor(options);
  // Where TLS is asked for (tls:// or connection.tls), a server without it is refused, never used in plain text.
  const opts: NodeConnectionOptions = requireTlsWhereAsked(
    liftUrlCredentials({ servers: DEFAULT_SERVERS, noAsyncTraces: true, maxReconnectAttempts: -1, ...options }),
  );
  const where = redact([opts.servers].flat().join(', '));
  // The leader guard's moves dial another server than the one left (reconnect-steering.ts).
  const steering = new ReconnectSteering(opts.reconnectToServer);
  let nc: NatsConnection;
  try {
    nc = await connect({ ...opts, reconnectToServer: steering.handler });
    attachSteering(nc, steering);
  } catch (err) {
    redactErrorChain(err, redact);
    const why = err instanceof Error ? err.message : String(err);
    const refused = causeOf(err, errors.AuthorizationError) ?? causeOf(err, errors.UserAuthenticationExpiredError);
    const fix = refused
      ? 'check the credentials in connection (user/pass, token, authenticator: nkey, .creds/JWT)'
      : tlsNotOffered(err)
        ? TLS_NOT_OFFERED_FIX
        : tlsProblem(err)
          ? "check connection.tls: the server's certificate must be signed by a CA in connection.tls.ca and name this host, and a server that asks for client certificates needs connection.tls.cert and key"
          : 'start nats-server there or fix connection.servers';
    throw new JetStreamConnectionError(`${who} cannot connect to NATS at ${where}: ${why}. ${fix[0].toUpperCase()}${fix.slice(1)}.`, { cause: err });
  }
  try {
    const jsm = await jetstreamManager(nc, domain === undefined ? undefined : { domain });
    await jsm.getAccountInfo();
    return { nc, jsm, serverVersion: nc.info?.version ?? '0.0.0' };
  } catch (err) {
    await nc.close().catch(() => undefined);
    redactErrorChain(err, redact);
    const why = err instanceof Error ? err.message : String(err);
    throw new JetStreamConnectionError(
      `${who} connected to NATS at ${where}, but JetStream${domain === undefined ? '' : ` domain "${domain}"`} does not answer: ${why}. ${domain === undefined ? '' : `Check the domain option against the servers' jetstream { domain } (another site's domain answers only while the leaf link is up). `}Start nats-server with -js (or a jetstream {} block in its config) and make sure this account has JetStream enabled.`,
      { cause: err },
    );
  }
}
