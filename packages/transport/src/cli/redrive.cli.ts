#!/usr/bin/env node
// nest-jetstream-redrive: republish dead letters to their original subjects.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { credsAuthenticator, nkeyAuthenticator, type Authenticator } from '@nats-io/nats-core';
import { connect, type NodeConnectionOptions } from '@nats-io/transport-node';
import { liftUrlCredentials, splitUserinfo } from '../connection/url-credentials.js';
import { redriveDeadLetters } from '../dead-letter/redrive.js';
import { createRedactor, redactErrorChain, type Redactor } from '../security/redact.js';

const USAGE = `Usage: nest-jetstream-redrive --stream DEAD_LETTERS [options]

  --servers nats://host:4222   NATS servers, comma-separated (default nats://127.0.0.1:4222, or NATS_URL)
  --creds FILE                 a .creds file: JWT and nkey seed (or NATS_CREDS)
  --nkey FILE                  a file holding an nkey seed (SU...) (or NATS_NKEY)
  --user U                     user name (or NATS_USER); its password from NATS_PASS
  NATS_TOKEN                   a token, from the environment only
  (--pass P, --token T and user:password@ in --servers still work, with a warning: \`ps\` shows a command line)
  --tls-ca FILE                CA certificate(s) to trust, PEM (or NATS_TLS_CA)
  --tls-cert FILE --tls-key FILE   client certificate and key for mutual TLS (or NATS_TLS_CERT, NATS_TLS_KEY)
  --stream NAME                the dead-letter stream to read (required)
  --subject SUBJ               only dead letters whose original subject matches (wildcards allowed)
  --from-stream NAME           only dead letters from this original stream
  --from-seq N --to-seq N      only original stream sequences in this range
  --limit N                    at most N (default 1000)`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      servers: { type: 'string' },
      user: { type: 'string' },
      pass: { type: 'string' },
      token: { type: 'string' },
      creds: { type: 'string' },
      nkey: { type: 'string' },
      'tls-ca': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      stream: { type: 'string' },
      subject: { type: 'string' },
      'from-stream': { type: 'string' },
      'from-seq': { type: 'string' },
      'to-seq': { type: 'string' },
      limit: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help || !values.stream) {
    process.stderr.write(`${values.help ? '' : 'nest-jetstream-redrive: --stream is required\n\n'}${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const int = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number; got "${v}"`);
    return n;
  };
  const options = connectionOptions(values);
  redact = createRedactor(options);
  for (const warning of commandLineSecrets(values)) process.stderr.write(`nest-jetstream-redrive: warning: ${redact(warning)}\n`);
  const nc = await connect(liftUrlCredentials(options));
  try {
    const result = await redriveDeadLetters(nc, {
      stream: values.stream,
      subject: values.subject,
      fromStream: values['from-stream'],
      fromSequence: int(values['from-seq'], 'from-seq'),
      toSequence: int(values['to-seq'], 'to-seq'),
      limit: int(values.limit, 'limit'),
    });
    process.stdout.write(`${redact(JSON.stringify(result))}\n`);
    return 0;
  } finally {
    await nc.close();
  }
}

/** Removes the credentials in use from everything this command prints (set once the options are read). */
let redact: Redactor = createRedactor();

/** Warnings for credentials given on the command line, where \`ps\` and shell history show them (each names the flag, never the value). */
function commandLineSecrets(values: Flags): string[] {
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

type Flags = Partial<Record<'servers' | 'user' | 'pass' | 'token' | 'creds' | 'nkey' | 'tls-ca' | 'tls-cert' | 'tls-key', string>>;

/** The connection from flags, each falling back to its environment variable; files are read here, so a bad path names the flag. */
function connectionOptions(values: Flags): NodeConnectionOptions {
  const flag = (name: keyof Flags, env: string) => values[name] ?? (process.env[env] || undefined);
  const file = (name: keyof Flags, env: string): Buffer | undefined => {
    const path = flag(name, env);
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`--${name} ${path} cannot be read: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
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
  if ((cert === undefined) !== (key === undefined)) throw new Error('--tls-cert and --tls-key go together (mutual TLS needs both)');
  return {
    servers: (flag('servers', 'NATS_URL') ?? 'nats://127.0.0.1:4222').split(','),
    user: flag('user', 'NATS_USER'),
    pass: flag('pass', 'NATS_PASS'),
    token: flag('token', 'NATS_TOKEN'),
    authenticator: authenticator.length ? authenticator : undefined,
    tls: ca || cert ? { ca: ca?.toString('utf8'), cert: cert?.toString('utf8'), key: key?.toString('utf8') } : undefined,
  };
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    redactErrorChain(err, redact);
    process.stderr.write(`nest-jetstream-redrive: ${redact(err instanceof Error ? err.message : String(err))}\n`);
    process.exit(1);
  },
);
