import { readFileSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import { credsAuthenticator, nkeyAuthenticator, type Authenticator } from '@nats-io/nats-core';
import type { NodeConnectionOptions } from '@nats-io/transport-node';
import { splitUserinfo } from '../connection/url-credentials.js';
import { CliError, EXIT } from './exit-codes.js';

/** The flags every command that talks to NATS takes; each falls back to its environment variable. */
export const CONNECTION_FLAGS = {
  servers: { type: 'string' },
  user: { type: 'string' },
  pass: { type: 'string' },
  token: { type: 'string' },
  creds: { type: 'string' },
  nkey: { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const CONNECTION_USAGE = `Connection (every flag falls back to its environment variable):
  --servers nats://host:4222   NATS servers, comma-separated (default nats://127.0.0.1:4222, or NATS_URL)
  --creds FILE                 a .creds file: JWT and nkey seed (or NATS_CREDS)
  --nkey FILE                  a file holding an nkey seed (SU...) (or NATS_NKEY)
  --user U                     user name (or NATS_USER); its password from NATS_PASS
  NATS_TOKEN                   a token, from the environment only
  (--pass P, --token T and user:password@ in --servers still work, with a warning: \`ps\` shows a command line)
  --tls-ca FILE                CA certificate(s) to trust, PEM (or NATS_TLS_CA)
  --tls-cert FILE --tls-key FILE   client certificate and key for mutual TLS (or NATS_TLS_CERT, NATS_TLS_KEY)`;

export type ConnectionFlags = Partial<Record<keyof typeof CONNECTION_FLAGS, string>>;

const DEFAULT_SERVER = 'nats://127.0.0.1:4222';

/** Warnings for credentials given on the command line, where `ps` and shell history show them (each names the flag, never the value). */
export function commandLineSecrets(values: ConnectionFlags): string[] {
  const warnings: string[] = [];
  const env = (flag: string, variable: string) =>
    `--${flag} puts a secret on the command line, where \`ps\` and the shell history show it: set ${variable} instead.`;
  if (values.pass !== undefined) warnings.push(env('pass', 'NATS_PASS'));
  if (values.token !== undefined) warnings.push(env('token', 'NATS_TOKEN'));
  for (const server of (values.servers ?? '').split(',')) {
    if (splitUserinfo(server).userinfo !== undefined)
      warnings.push(
        `--servers ${server.trim()} carries credentials in its URL, on the command line where \`ps\` shows them: set NATS_USER and NATS_PASS (or NATS_TOKEN, NATS_CREDS) instead.`,
      );
  }
  return warnings;
}

/** The connection from flags, each falling back to its environment variable; files are read here, so a bad path names the flag. */
export function connectionOptions(values: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): NodeConnectionOptions {
  const flag = (name: keyof ConnectionFlags, variable: string) => values[name] ?? (env[variable] || undefined);
  const file = (name: keyof ConnectionFlags, variable: string): Buffer | undefined => {
    const path = flag(name, variable);
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new CliError(`--${name} ${path} cannot be read: ${err instanceof Error ? err.message : String(err)}`, EXIT.usage, { cause: err });
    }
  };
  const authenticator: Authenticator[] = [];
  const creds = file('creds', 'NATS_CREDS');
  if (creds) authenticator.push(credsAuthenticator(new Uint8Array(creds)));
  const seed = file('nkey', 'NATS_NKEY');
  if (seed) authenticator.push(nkeyAuthenticator(new TextEncoder().encode(seed.toString('utf8').trim())));
  const ca = file('tls-ca', 'NATS_TLS_CA');
  const cert = file('tls-cert', 'NATS_TLS_CERT');
  const key = file('tls-key', 'NATS_TLS_KEY');
  if ((cert === undefined) !== (key === undefined)) throw new CliError('--tls-cert and --tls-key go together (mutual TLS needs both)', EXIT.usage);
  return {
    servers: (flag('servers', 'NATS_URL') ?? DEFAULT_SERVER).split(','),
    user: flag('user', 'NATS_USER'),
    pass: flag('pass', 'NATS_PASS'),
    token: flag('token', 'NATS_TOKEN'),
    authenticator: authenticator.length ? authenticator : undefined,
    tls: ca || cert ? { ca: ca?.toString('utf8'), cert: cert?.toString('utf8'), key: key?.toString('utf8') } : undefined,
  };
}

/** The servers as an error may name them: host and port, never the userinfo of a URL. */
export function serverLabel(options: NodeConnectionOptions): string {
  return [options.servers ?? DEFAULT_SERVER]
    .flat()
    .map((s) => {
      const { scheme, address } = splitUserinfo(s.trim());
      return `${scheme}${address}`;
    })
    .join(',');
}
