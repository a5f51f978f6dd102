import { parseArgs } from 'node:util';
import { redactErrorChain, redactSecrets } from '../security/redact.js';
import type { CliCommand, CliIo } from './cli-command.js';
import { CliSession } from './cli-session.js';
import { COMMANDS } from './commands.js';
import { CONNECTION_FLAGS, CONNECTION_USAGE } from './connection-flags.js';
import { CliError, EXIT } from './exit-codes.js';

const SHARED_FLAGS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  yes: { type: 'boolean', short: 'y' },
} as const;

const APP_FLAG = { app: { type: 'string', multiple: true } } as const;

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: nest-jetstream <command> [options]   (nest-jetstream <command> --help for its options)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command: --json (one JSON document on stdout, for scripts), --yes (answer yes to confirmations), --help.',
    'Exit codes: 0 ok, 1 failed, 2 usage, 3 connection, 4 not found, 5 server too old, 6 app cannot be loaded, 7 check failed, 8 declined (docs/cli.md).',
  ].join('\n');
}

function usageOf(command: CliCommand): string {
  const app = command.readsApps ? '\n  --app FILE[#EXPORT]          the app: its module, a factory or a JetStreamCliApp (repeatable; see docs/cli.md)' : '';
  return `${command.usage}${app}\n  --json                       one JSON document on stdout, for scripts\n${command.connects ? `\n${CONNECTION_USAGE}` : ''}`;
}

/** Runs `nest-jetstream <argv...>` and returns its exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIo = process): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${overview()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`nest-jetstream: unknown command "${name}"\n\n${overview()}\n`);
    return EXIT.usage;
  }
  let session: CliSession | undefined;
  try {
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({
        args: [...rest],
        options: { ...SHARED_FLAGS, ...(command.connects ? CONNECTION_FLAGS : {}), ...(command.readsApps ? APP_FLAG : {}), ...command.options },
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      throw new CliError(`${err instanceof Error ? err.message : String(err)}\n\n${usageOf(command)}`, EXIT.usage, { cause: err });
    }
    if (parsed.values.help) {
      io.stdout.write(`${usageOf(command)}\n`);
      return EXIT.ok;
    }
    session = new CliSession(parsed.values, parsed.positionals, io, command.connects);
    return await command.run(session);
  } catch (err) {
    const redact = session?.redact ?? redactSecrets;
    redactErrorChain(err, redact);
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`nest-jetstream ${name}: ${redact(message)}\n`);
    return err instanceof CliError ? err.code : EXIT.failed;
  } finally {
    await session?.close();
  }
}
