import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { isProcessAlive } from './leak-guard.js';
import { NatsServer, NatsServerStartError } from './nats-server.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);

describe('NatsServer (real nats-server)', () => {
  let server: NatsServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('starts with JetStream answering on random loopback ports', async () => {
    server = await NatsServer.start();
    expect(server.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    expect(server.ports.client).not.toBe(server.ports.monitor);
    const nc = await connect({ servers: server.url });
    try {
      const info = await (await jetstreamManager(nc)).getAccountInfo();
      expect(info.streams).toBe(0);
      expect(nc.info?.version).toBe(server.version);
    } finally {
      await nc.close();
    }
  });

  it('keeps file-stored messages across a SIGKILL and a restart on the same ports', async () => {
    server = await NatsServer.start();
    const port = server.ports.client;
    let nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'KEEP', subjects: ['keep.>'] });
    const js = jetstream(nc);
    for (let i = 0; i < 5; i++) await js.publish('keep.x', `m${i}`);
    await nc.close();

    const oldPid = server.pid;
    await server.kill('SIGKILL');
    expect(server.running).toBe(false);
    expect(isProcessAlive(oldPid!)).toBe(false);

    await server.restart();
    expect(server.ports.client).toBe(port);
    expect(server.pid).not.toBe(oldPid);
    nc = await connect({ servers: server.url });
    try {
      const info = await (await jetstreamManager(nc)).streams.info('KEEP');
      expect(info.state.messages).toBe(5);
      const msg = await (await jetstreamManager(nc)).streams.getMessage('KEEP', { seq: 5 });
      expect(msg?.string()).toBe('m4');
    } finally {
      await nc.close();
    }
  });

  it('applies extra config (users and permissions)', async () => {
    server = await NatsServer.start({
      config: 'authorization { users: [ { user: "svc", password: "s3cret" } ] }',
    });
    await expect(connect({ servers: server.url, reconnect: false })).rejects.toThrow(/Authorization/i);
    const nc = await connect({ servers: server.url, user: 'svc', pass: 's3cret' });
    await nc.close();
  });

  it('fails start with the server log tail when the config is invalid', async () => {
    const err = await NatsServer.start({ config: 'this is { not valid', startTimeout: 5000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NatsServerStartError);
    expect((err as NatsServerStartError).message).toMatch(/exited during start/);
    expect((err as NatsServerStartError).logTail.length).toBeGreaterThan(0);
  });

  it('stop() ends the process and removes the temp store dir', async () => {
    server = await NatsServer.start();
    const pid = server.pid!;
    const store = server.storeDir;
    expect(existsSync(store)).toBe(true);
    await server.stop();
    expect(isProcessAlive(pid)).toBe(false);
    expect(existsSync(store)).toBe(false);
  });
});

describe('leak guard', () => {
  const child = join(__dirname, '__fixtures__', 'orphan-child.ts');

  it.each(['exit', 'crash'])('kills the server and removes its temp dir when the process that started it ends (%s)', async (how) => {
    const { stdout } = await run(process.execPath, ['-r', join(__dirname, '../../../scripts/register.cjs'), child, how], {
      cwd: join(__dirname, '..'),
    }).catch((e: { stdout: string }) => ({ stdout: e.stdout }));
    const [pidText, store] = stdout.trim().split(' ');
    const pid = Number(pidText);
    expect(pid).toBeGreaterThan(0);
    expect(store).toContain('nest-jetstream-nats-');
    await waitFor(`orphaned nats-server ${pid} to be killed`, () => !isProcessAlive(pid), { timeout: 5000 });
    await waitFor(`its temp dir ${dirname(store)} to be removed`, () => !existsSync(dirname(store)), { timeout: 5000 });
  });

  it('kills the server when the process that started it gets SIGTERM and has no handler of its own', async () => {
    const proc = spawn(process.execPath, ['-r', join(__dirname, '../../../scripts/register.cjs'), child, 'wait'], { cwd: join(__dirname, '..') });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
    const pid = await waitFor('the child to print its server PID', () => (out.includes('\n') ? Number(out.split(' ')[0]) : undefined), { timeout: 20_000 });
    const store = out.trim().split(' ')[1];
    expect(isProcessAlive(pid)).toBe(true);
    proc.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    await waitFor(`nats-server ${pid} to be killed`, () => !isProcessAlive(pid), { timeout: 5000 });
    await waitFor(`its temp dir ${dirname(store)} to be removed`, () => !existsSync(dirname(store)), { timeout: 5000 });
  });
});
