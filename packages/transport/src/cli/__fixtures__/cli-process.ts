import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../run-cli.js';

/** The CLI's entry and the test app, as a user runs them (TypeScript through the workspace's register hook). */
export const CLI_ENTRY = join(__dirname, '..', 'nest-jetstream.cli.ts');
export const CLI_TEST_APP = join(__dirname, 'cli-test.app.ts');
const register = join(__dirname, '../../../../../scripts/register.cjs');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `nest-jetstream <args>` in a child process (no NATS_* variable inherited unless given in `env`), stdin closed. */
export function runCliProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}, entry = CLI_ENTRY): Promise<CliRun> {
  return new Promise((resolve) => {
    const clean = { ...process.env, NATS_URL: '', NATS_NKEY: '', NATS_CREDS: '', NATS_USER: '', NATS_PASS: '', NATS_TOKEN: '', ...env };
    const proc = spawn(process.execPath, ['-r', register, entry, ...args], { env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    proc.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `nest-jetstream <args>` in this process (fast; `--app` files loaded by Jest's require, which compiles TypeScript); stdin is no terminal. */
export async function runCliHere(args: readonly string[]): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  // Jest's require compiles the TypeScript app files; Node's would not.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loadModule = (path: string) => require(path) as unknown;
  const code = await runCli(args, { stdin: new PassThrough(), stdout, stderr, loadModule });
  return { code, stdout: out, stderr: err };
}
