#!/usr/bin/env node
// nest-jetstream-redrive: kept for scripts written against it; it is `nest-jetstream dead-letters redrive --json`.
import { runCli } from './run-cli.js';

runCli(['dead-letters', 'redrive', '--json', ...process.argv.slice(2)]).then(
  (code) => process.exit(code),
  () => process.exit(1),
);
