import { createInterface } from 'node:readline/promises';
import { JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { liftUrlCredentials } from '../connection/url-credentials.js';
import { createRedactor, type Redactor } from '../security/redact.js';
import { loadApps, type LoadedApp } from './app/app-loader.js';
import type { CliConnection, CliContext, CliIo, CliValues } from './cli-command.js';
import { commandLineSecrets, connectionOptions, serverLabel, type ConnectionFlags } from './connection-flags.js';
import { CliError, EXIT } from './exit-codes.js';
import { Output } from './output.js';

const CREDENTIALS_FIX = 'check --servers (or NATS_URL) and the credentials (--creds, --nkey, NATS_USER with NATS_PASS, NATS_TOKEN)';

/** What a command runs in: it connects on demand and closes what it opened when the command is done. */
export class CliSession implements CliContext {
  readonly out: Output;
  readonly redact: Redactor;
  #connection?: Promise<CliConnection>;
  #nc?: NatsConnection;
  #apps?: Promise<LoadedApp[]>;

  constructor(
    readonly values: CliValues,
    readonly positionals: readonly string[],
    private readonly io: CliIo,
    connects: boolean,
  ) {
    const flags = values as ConnectionFlags;
    // Reading the flags may fail (a file that cannot be read): that error is raised when connecting.
    let secrets: { pass?: string; token?: string; servers?: string[] } = {};
    if (connects) {
      secrets = {
        pass: flags.pass ?? process.env.NATS_PASS,
        token: flags.token ?? process.env.NATS_TOKEN,
        servers: (flags.servers ?? process.env.NATS_URL ?? '').split(','),
      };
    }
    this.redact = createRedactor(secrets);
    this.out = new Output(values.json === true, this.redact, io.stdout, io.stderr, io.compactJson === true);
    if (connects) for (const warning of commandLineSecrets(flags)) this.out.warn(warning);
  }

  connect(): Promise<CliConnection> {
    this.#connection ??= this.#open();
    return this.#connection;
  }

  async #open(): Promise<CliConnection> {
    const options = connectionOptions(this.values as ConnectionFlags);
    const server = serverLabel(options);
    this.out.progress(`connecting to ${server}...`);
    let nc: NatsConnection;
    try {
      nc = await connect(liftUrlCredentials({ ...options, name: 'nest-jetstream-cli' }));
    } catch (err) {
      throw new CliError(`Cannot connect to ${server}: ${messageOf(err)}. Is a nats-server running there? Then ${CREDENTIALS_FIX}.`, EXIT.connection, {
        cause: err,
      });
    }
    this.#nc = nc;
    const jsm = await jetstreamManager(nc).catch((err: unknown) => {
      throw new CliError(
        `${server} has no JetStream for this identity: ${messageOf(err)}. Enable JetStream on the server (jetstream {} in its config) or in this user's account.`,
        EXIT.connection,
        { cause: err },
      );
    });
    const version = nc.info?.version ?? '0.0.0';
    return { nc, jsm, js: jetstream(nc), server, version, serverError: (action, err, fix) => serverError(server, action, err, fix) };
  }

  apps(): Promise<LoadedApp[]> {
    const refs = this.values.app;
    if (!Array.isArray(refs) || refs.length === 0) {
      return Promise.reject(new CliError('--app is required: the module of the app, e.g. --app dist/app.module.js#AppModule (see docs/cli.md).', EXIT.usage));
    }
    this.#apps ??= loadApps(refs.map(String), process.cwd(), this.io.loadModule);
    return this.#apps;
  }

  async confirm(question: string): Promise<boolean> {
    if (this.values.yes === true) return true;
    if (!this.io.stdin.isTTY) {
      this.out.warn(`${question} Not asked: stdin is not a terminal. Pass --yes to go ahead without asking.`);
      return false;
    }
    const rl = createInterface({ input: this.io.stdin, output: this.io.stderr });
    try {
      return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
    } finally {
      rl.close();
    }
  }

  /** Closes the connection, if one was opened. */
  async close(): Promise<void> {
    const nc = this.#nc;
    this.#nc = undefined;
    if (nc && !nc.isClosed()) await nc.close().catch(() => undefined);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A server's refusal as a CLI error: the server, what was being done, why, and what to do about it. */
export function serverError(server: string, action: string, err: unknown, fix?: string): CliError {
  const why = messageOf(err);
  if (err instanceof JetStreamApiError) {
    const code = err.code;
    if (code === JetStreamApiCodes.StreamNotFound || code === JetStreamApiCodes.ConsumerNotFound || code === JetStreamApiCodes.NoMessageFound) {
      return new CliError(`${server}: cannot ${action}: ${why}. ${fix ?? 'Check the name (nest-jetstream consumers --app ... lists them).'}`, EXIT.notFound, {
        cause: err,
      });
    }
  }
  if (/permissions violation/i.test(why)) {
    return new CliError(
      `${server}: cannot ${action}: ${why}. Use an identity allowed to do it (nest-jetstream permissions computes the app's), or an admin one.`,
      EXIT.connection,
      {
        cause: err,
      },
    );
  }
  return new CliError(`${server}: cannot ${action}: ${why}.${fix ? ` ${fix}` : ''}`, EXIT.failed, { cause: err });
}
