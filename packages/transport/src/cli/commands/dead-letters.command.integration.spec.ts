import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { createUser } from '@nats-io/nkeys';
import { connect } from '@nats-io/transport-node';
import { NatsServer } from '@nest-jetstream/testing';
import { buildDeadLetterHeaders } from '../../dead-letter/dead-letter-headers.js';
import { runCliHere, runCliProcess } from '../__fixtures__/cli-process.js';

// `nest-jetstream dead-letters list | peek | redrive` against a server that requires credentials
// (an nkey from a seed file); and the old `nest-jetstream-redrive` command, which it replaces.

const REDRIVE_SHIM = join(__dirname, '..', 'redrive.cli.ts');

describe('nest-jetstream dead-letters (real nats-server, with credentials)', () => {
  const user = createUser();
  const dir = mkdtempSync(join(tmpdir(), 'dead-letters-cli-'));
  const seedFile = join(dir, 'user.nk');
  let server: NatsServer;
  let nc: NatsConnection;
  let auth: string[];

  const deadLetter = (subject: string, sequence: number, reason: string, payload: string) =>
    jetstream(nc).publish(`cli.dlq.${sequence}`, payload, {
      headers: buildDeadLetterHeaders(undefined, { subject, stream: 'CLI_ORIG', sequence, consumer: 'svc__cli', deliveries: 3, reason, time: new Date() }),
    });

  beforeAll(async () => {
    writeFileSync(seedFile, new TextDecoder().decode(user.getSeed()));
    server = await NatsServer.start({
      config: `authorization { users: [ { nkey: "${user.getPublicKey()}" }, { user: "setup", password: "setup-pw-1234" } ] }`,
    });
    auth = ['--servers', server.url, '--nkey', seedFile];
    nc = await connect({ servers: server.url, user: 'setup', pass: 'setup-pw-1234' });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'CLI_ORIG', subjects: ['cli.orig.>'] });
    await jsm.streams.add({ name: 'CLI_DEAD_LETTERS', subjects: ['cli.dlq.>'] });
    await deadLetter('cli.orig.one', 7, 'Error: boom', '{"n":1}');
    await deadLetter('cli.orig.two', 8, 'ValidationError: qty must be positive', '{"n":2}');
    await deadLetter('cli.orig.one', 9, 'Error: boom again', '{"n":3}');
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to connect without credentials, naming the server and what to check', async () => {
    const out = await runCliHere(['dead-letters', 'list', '--servers', server.url]);
    expect(out.code).toBe(3);
    expect(out.stderr).toContain(`Cannot connect to ${server.url}`);
    expect(out.stderr).toMatch(/Authorization|authorization|auth/);
    expect(out.stderr).toMatch(/--creds, --nkey/);
  });

  it('never prints a password given in the URL, even in an error', async () => {
    const url = server.url.replace('nats://', 'nats://setup:wrong-secret-pw@');
    const out = await runCliHere(['dead-letters', 'list', '--servers', url]);
    expect(out.code).toBe(3);
    expect(`${out.stdout}${out.stderr}`).not.toContain('wrong-secret-pw');
    expect(out.stderr).toMatch(/warning: --servers .* carries credentials in its URL/);
  });

  it('lists the dead letters of every *_DEAD_LETTERS stream with the header contract, for people and as JSON', async () => {
    const people = await runCliHere(['dead-letters', 'list', ...auth]);
    expect(people.code).toBe(0);
    expect(people.stdout).toMatch(/CLI_DEAD_LETTERS: 3 message\(s\), 3 shown/);
    expect(people.stdout).toMatch(/STREAM\s+SEQ\s+AGE\s+ORIGINAL SUBJECT\s+FROM\s+ATTEMPTS\s+REASON/);
    expect(people.stdout).toMatch(/CLI_DEAD_LETTERS\s+2\s+\d+s\s+cli\.orig\.two\s+CLI_ORIG#8\s+3\s+ValidationError: qty must be positive/);
    const json = await runCliHere(['dead-letters', 'list', '--json', '--filter', 'cli.orig.one', ...auth]);
    const doc = JSON.parse(json.stdout) as {
      streams: { stream: string; deadLetters: { subject: string; sequence: number; deliveries: number; reason: string }[] }[];
    };
    expect(doc.streams[0].deadLetters.map((d) => [d.subject, d.sequence, d.deliveries, d.reason])).toEqual([
      ['cli.orig.one', 7, 3, 'Error: boom'],
      ['cli.orig.one', 9, 3, 'Error: boom again'],
    ]);
  });

  it('peeks at one dead letter: its fields, headers and payload; a missing one is exit 4', async () => {
    const out = await runCliHere(['dead-letters', 'peek', '2', '--stream', 'CLI_DEAD_LETTERS', ...auth]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/original subject\s+cli\.orig\.two/);
    expect(out.stdout).toMatch(/from\s+CLI_ORIG sequence 8 \(consumer svc__cli\)/);
    expect(out.stdout).toMatch(/attempts\s+3/);
    expect(out.stdout).toMatch(/payload \(7 bytes\):\n\{"n":2\}/);
    const missing = await runCliHere(['dead-letters', 'peek', '99', '--stream', 'CLI_DEAD_LETTERS', ...auth]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain(`${server.url}: cannot read message 99 of stream CLI_DEAD_LETTERS`);
  });

  it('redrive --dry-run shows what would be redriven and changes nothing; --filter and --reason select', async () => {
    const dry = await runCliHere(['dead-letters', 'redrive', '--dry-run', '--reason', 'boom', '--json', ...auth]);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, wouldRedrive: 2 });
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info('CLI_DEAD_LETTERS')).state.messages).toBe(3);
    expect((await jsm.streams.info('CLI_ORIG')).state.messages).toBe(0);
  });

  it('redrives the filtered dead letters to their original subjects and removes them', async () => {
    const out = await runCliHere(['dead-letters', 'redrive', '--filter', 'cli.orig.two', ...auth]);
    expect(out.stderr).toBe('');
    expect(out.stdout).toMatch(/Redrove 1 dead letter\(s\) from CLI_DEAD_LETTERS/);
    expect(out.code).toBe(0);
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.getMessage('CLI_ORIG', { last_by_subj: 'cli.orig.two' }))?.json()).toEqual({ n: 2 });
    expect((await jsm.streams.info('CLI_DEAD_LETTERS')).state.messages).toBe(2);
  });

  it('the old nest-jetstream-redrive command still redrives, printing its JSON result', async () => {
    const out = await runCliProcess(
      ['--servers', server.url, '--nkey', seedFile, '--stream', 'CLI_DEAD_LETTERS', '--subject', 'cli.orig.one', '--to-seq', '7'],
      {},
      REDRIVE_SHIM,
    );
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout)).toMatchObject({ redriven: 1, skipped: 1 });
    expect(out.code).toBe(0);
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.getMessage('CLI_ORIG', { last_by_subj: 'cli.orig.one' }))?.json()).toEqual({ n: 1 });
  });

  it('names the flag of a file it cannot read, and mutual TLS needs both files (exit 2)', async () => {
    const missing = await runCliHere(['dead-letters', 'list', '--servers', server.url, '--creds', join(dir, 'nope.creds')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--creds .*nope\.creds cannot be read/);
    const half = await runCliHere(['dead-letters', 'list', '--servers', server.url, '--tls-cert', seedFile]);
    expect(half.stderr).toMatch(/--tls-cert and --tls-key go together/);
  });
});
