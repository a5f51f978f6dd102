#!/usr/bin/env node
// nest-jetstream: the operator CLI (docs/cli.md).
import { runCli } from './run-cli.js';

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`nest-jetstream: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
