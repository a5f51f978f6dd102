#!/usr/bin/env node
// nest-jetstream-redrive: kept for scripts written against it. It is `nest-jetstream dead-letters
// redrive --json` with the old command's contract: --stream required, one JSON line, exit 0 (done),
// 1 (failed) or 2 (usage).
import { runCli } from './run-cli.js';
import { EXIT } from './exit-codes.js';

const args = process.argv.slice(2);
const help = args.includes('--help') || args.includes('-h');
if (!help && !args.includes('--stream')) {
  process.stderr.write('nest-jetstream-redrive: --stream is required (it is `nest-jetstream dead-letters redrive`: see nest-jetstream dead-letters --help)\n');
  process.exit(EXIT.usage);
}
runCli(['dead-letters', 'redrive', '--json', ...args], { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, compactJson: true }).then(
  (code) => process.exit(code === EXIT.ok || code === EXIT.usage ? code : EXIT.failed),
  () => process.exit(EXIT.failed),
);
