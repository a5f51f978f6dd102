import type { ParseArgsConfig } from 'node:util';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { LoadedApp, ModuleLoader } from './app/app-loader.js';
import type { CliError } from './exit-codes.js';
import type { Output } from './output.js';

/** The values `util.parseArgs` read for a command. */
export type CliValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/**
 * One command of the `nest-jetstream` binary. A command is one file (cli/commands/<name>.command.ts)
 * exporting one of these, plus one line in cli/commands.ts: the binary parses the flags it
 * declares (and the shared ones it asks for), then calls `run`.
 */
export interface CliCommand {
  /** The word after `nest-jetstream`. */
  readonly name: string;
  /** One line for `nest-jetstream --help`. */
  readonly summary: string;
  /** Its own usage text (subcommands, flags), shown by `nest-jetstream <name> --help`. */
  readonly usage: string;
  /** Its own flags, in `util.parseArgs` form. */
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** It talks to NATS: the connection flags (--servers, --creds...) are accepted. */
  readonly connects: boolean;
  /** It reads apps (`--app file#export`, repeatable). */
  readonly readsApps: boolean;
  /** Runs with the parsed flags and the positionals after the command's name; returns the exit code. */
  run(ctx: CliContext): Promise<number>;
}

/** What a command gets: its flags, an output, and the connection and apps on demand. */
export interface CliContext {
  readonly values: CliValues;
  readonly positionals: readonly string[];
  readonly out: Output;
  /** Connects once (later calls return the same connection); closed when the command returns. */
  connect(): Promise<CliConnection>;
  /** The apps of `--app` (an error naming the flag when none was given). */
  apps(): Promise<LoadedApp[]>;
  /** Asks on the terminal; true without asking under `--yes`; false when stdin is no terminal. */
  confirm(question: string): Promise<boolean>;
}

/** A connection to NATS, with the server named as every error must name it (no credential). */
export interface CliConnection {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly js: JetStreamClient;
  /** The server URL(s) as given, without credentials. */
  readonly server: string;
  /** The version the server reports (e.g. `2.11.4`). */
  readonly version: string;
  /** An error from the server turned into a CLI error that names the server, what failed, and what to do. */
  serverError(action: string, err: unknown, fix?: string): CliError;
}

/** The streams a run reads and writes (the process's own, or a test's). */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Loads the files `--app` names. Default Node's `require`. */
  loadModule?: ModuleLoader;
  /** `--json` on one line (the `nest-jetstream-redrive` shim's output, as it always was). Default: indented. */
  compactJson?: boolean;
}
