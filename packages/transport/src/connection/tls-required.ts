import { errors } from '@nats-io/nats-core';
import type { NodeConnectionOptions } from '@nats-io/transport-node';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';

/**
 * nats.js reads no meaning into a `tls://` URL: without `tls` options it would connect in plain
 * text to a server that offers no TLS. A `tls` object makes it refuse such a server
 * (`checkOptions`: "server does not support 'tls'"), so a `tls://` URL gets one.
 */
const TLS_SCHEME = /^\s*tls:\/\//i;

function serversOf(options: NodeConnectionOptions | undefined): string[] {
  return [options?.servers ?? []].flat().filter((s): s is string => typeof s === 'string');
}

/** Whether the user asked for TLS: a `tls://` URL, or `tls` options. */
export function tlsAsked(options: NodeConnectionOptions | undefined): boolean {
  return (options?.tls !== undefined && options.tls !== null) || serversOf(options).some((s) => TLS_SCHEME.test(s));
}

/** A `tls://` URL with `tls: null` (TLS turned off) contradicts itself: refused at construction. */
export function checkTlsOptions(options: NodeConnectionOptions | undefined, who: string): void {
  if (options?.tls === null && serversOf(options).some((s) => TLS_SCHEME.test(s))) {
    throw new JetStreamConfigError(
      `${who}: connection.servers has a tls:// URL, but connection.tls is null, which turns TLS off. Remove tls: null to require TLS, or use nats:// URLs.`,
    );
  }
}

/** The options with `tls: {}` where a `tls://` URL asks for TLS and no `tls` options were given. */
export function requireTlsWhereAsked(options: NodeConnectionOptions): NodeConnectionOptions {
  return options.tls === undefined && tlsAsked(options) ? { ...options, tls: {} } : options;
}

/** Whether a connect error is nats.js refusing a server that offers no TLS when TLS was asked for. */
export function tlsNotOffered(err: unknown): boolean {
  return err instanceof errors.ConnectionError && /does not support 'tls'/.test(err.message);
}

export const TLS_NOT_OFFERED_FIX =
  'the server does not offer TLS, and TLS was asked for (a tls:// URL or connection.tls), so the connection was not made in plain text. Turn TLS on in nats-server (a tls { cert_file, key_file } block in its config), or, where plain text is really meant, use a nats:// URL and no connection.tls';
