import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { createUser } from '@nats-io/nkeys';
import { connect } from '@nats-io/transport-node';
import { NatsServer } from '@nest-jetstream/testing';
import { buildDeadLetterHeaders } from '../dead-letter/dead-letter-headers.js';

// The redrive command against a server that requires credentials: an nkey from a seed file.

const cli = join(__dirname, 'redrive.cli.ts');
const register = join(__dirname, '../../../../scripts/register.cjs');

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['-r', register, cli, ...args], { env: { ...process.env, NATS_URL: '', NATS_NKEY: '', NATS_CREDS: '' } });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    proc.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('nest-jetstream-redrive with credentials (real nats-server)', () => {
  const user = createUser();
  const dir = mkdtempSync(join(tmpdir(), 'redrive-cli-'));
  const seedFile = join(dir, 'user.nk');
  let server: NatsServer;
  let nc: NatsConnection;

  beforeAll(async () => {
    writeFileSync(seedFile, new TextDecoder().decode(user.getSeed()));
    server = await NatsServer.start({
      config: `authorization { users: [ { nkey: "${user.getPublicKey()}" }, { user: "setup", password: "setup-pw" } ] }`,
    });
    nc = await connect({ servers: server.url, user: 'setup', pass: 'setup-pw' });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'CLI_ORIG', subjects: ['cli.orig.>'] });
    await jsm.streams.add({ name: 'CLI_DLQ', subjects: ['cli.dlq.>'] });
    const headers = buildDeadLetterHeaders(undefined, {
      subject: 'cli.orig.one',
      stream: 'CLI_ORIG',
      sequence: 7,
      consumer: 'svc__cli',
      deliveries: 3,
      reason: 'Error: boom',
      time: new Date(),
    });
    await jetstream(nc).publish('cli.dlq.one', '{"n":1}', { headers });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to connect without credentials, saying so', async () => {
    const out = await runCli(['--servers', server.url, '--stream', 'CLI_DLQ']);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/nest-jetstream-redrive: .*(Authorization|authorization|auth)/);
  });

  it('redrives with an nkey seed file', async () => {
    const out = await runCli(['--servers', server.url, '--nkey', seedFile, '--stream', 'CLI_DLQ']);
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout)).toEqual({ redriven: 1, skipped: 0 });
    expect(out.code).toBe(0);
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.getMessage('CLI_ORIG', { last_by_subj: 'cli.orig.one' }))?.json()).toEqual({ n: 1 });
  });

  it('names the flag of a file it cannot read, and mutual TLS needs both files', async () => {
    const missing = await runCli(['--servers', server.url, '--creds', join(dir, 'nope.creds'), '--stream', 'CLI_DLQ']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--creds .*nope\.creds cannot be read/);
    const half = await runCli(['--servers', server.url, '--tls-cert', seedFile, '--stream', 'CLI_DLQ']);
    expect(half.stderr).toMatch(/--tls-cert and --tls-key go together/);
  });
});
