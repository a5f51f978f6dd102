import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { jetstreamManager } from '@nats-io/jetstream';
import { credsAuthenticator, nkeyAuthenticator, type NatsConnection } from '@nats-io/nats-core';
import { encodeUser, fmtCreds } from '@nats-io/jwt';
import { createUser } from '@nats-io/nkeys';
import { connect, type NodeConnectionOptions } from '@nats-io/transport-node';
import { Controller, Get, Module, type INestApplication, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Registry } from 'prom-client';
import { NatsServer, freePort, waitFor } from '@nest-jetstream/testing';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamMetrics } from '../metrics/jetstream.metrics.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import { JetStreamHealthIndicator } from '../terminus/jetstream-health.indicator.js';
import { makeOperatorAccounts } from '../__fixtures__/operator-accounts.js';

// The canary: passwords, tokens, nkey seeds and a .creds file, each put in every
// place a user can put one, through boot failures, refused logins, an outage and reconnect, a dead
// letter, the health and metrics endpoints and the redrive command. Everything the process prints
// or serves is captured (every logger level, stdout and stderr, errors with their causes, events,
// HTTP bodies, dead-letter headers, the command's output) and must hold no trace of a canary.

const tag = randomBytes(4).toString('hex');
const USER = `canaryuser${tag}`;
const PASS = `CanaryPass${tag}`;
const URL_PASS = `CanaryUrlPass${tag}`;
const WRONG_PASS = `CanaryWrongPass${tag}`;
const TOKEN = `CanaryToken${tag}`;
const WRONG_TOKEN = `CanaryWrongToken${tag}`;
const nkeyUser = createUser();
const SEED = new TextDecoder().decode(nkeyUser.getSeed());
const WRONG_SEED = new TextDecoder().decode(createUser().getSeed());
// The user name is an identity, not a secret (often the service's own name, in every durable's
// name): it is used everywhere below but is no canary. Where it is part of a credential (a URL's
// userinfo) it goes with the rest, which the URL canaries prove.
const canaries = [PASS, URL_PASS, WRONG_PASS, TOKEN, WRONG_TOKEN, SEED, WRONG_SEED];

/** Everything printed or served, in order. */
const seen: string[] = [];
const record = (what: string, ...values: unknown[]) =>
  seen.push(`[${what}] ${values.map((v) => (typeof v === 'string' ? v : inspect(v, { depth: 12 }))).join(' ')}`);

/** Every Nest log line of every level, with its arguments inspected (an error's stack and causes included). */
class CaptureLogger implements LoggerService {
  log = (...a: unknown[]) => record('log', ...a);
  error = (...a: unknown[]) => record('error', ...a);
  warn = (...a: unknown[]) => record('warn', ...a);
  debug = (...a: unknown[]) => record('debug', ...a);
  verbose = (...a: unknown[]) => record('verbose', ...a);
  fatal = (...a: unknown[]) => record('fatal', ...a);
}
const logger = new CaptureLogger();

/** An error as a logger or an uncaught-error report would print it, and each cause's message. */
function recordError(what: string, err: unknown): void {
  record(what, err);
  for (let e: unknown = err, d = 0; e instanceof Error && d < 10; d++, e = e.cause) record(`${what} cause ${d}`, `${e.name}: ${e.message}`, String(e.stack));
}

function leaks(): string[] {
  const all = seen.join('\n');
  return canaries.filter((c) => all.includes(c)).map((c) => `${c} in: …${all.slice(Math.max(0, all.indexOf(c) - 300), all.indexOf(c) + 80)}…`);
}

const strategyRef: { server?: JetStreamServer } = {};
const registry = new Registry();
const failure = `upstream refused login ${USER}/${PASS} at nats://${USER}:${PASS}@db.internal:4222`;

@Controller()
class CanaryHandlers {
  @JetStreamEvent('canary.work', { maxDeliver: 1, deadLetter: 'canarydlq.work' })
  work() {
    // A handler error that echoes this connection's own credentials, as a careless wrapper might.
    throw new Error(failure);
  }
}

@Controller()
class Probes {
  constructor(
    private readonly health: HealthCheckService,
    private readonly jetstream: JetStreamHealthIndicator,
  ) {}

  @Get('health/live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.jetstream.isLive('jetstream', strategyRef.server!.health)]);
  }

  @Get('health/ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.jetstream.isReady('jetstream', strategyRef.server!.health)]);
  }

  @Get('metrics')
  metrics() {
    return registry.metrics();
  }
}

@Module({ imports: [TerminusModule], controllers: [CanaryHandlers, Probes], providers: [JetStreamHealthIndicator] })
class CanaryAppModule {}

@Module({})
class EmptyModule {}

const cli = join(__dirname, '../cli/redrive.cli.ts');
const register = join(__dirname, '../../../../scripts/register.cjs');

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const blank = { NATS_URL: '', NATS_USER: '', NATS_PASS: '', NATS_TOKEN: '', NATS_NKEY: '', NATS_CREDS: '' };
    const proc = spawn(process.execPath, ['-r', register, cli, ...args], { env: { ...process.env, ...blank, ...env } });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    proc.on('exit', (code) => {
      // The command line itself is the test's input, not output: only what the command prints is recorded.
      record('cli stdout', stdout);
      record(`cli stderr`, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Boots a microservice that cannot connect; what it throws (and what Nest logs) is recorded. */
async function bootFails(connection: NodeConnectionOptions): Promise<Error> {
  const app = await NestFactory.createMicroservice(EmptyModule, { strategy: new JetStreamServer({ connection: { reconnect: false, ...connection } }), logger });
  const err = (await app.listen().then(
    () => new Error('listened'),
    (e: unknown) => e,
  )) as Error;
  recordError('boot', err);
  await app.close().catch((e: unknown) => recordError('boot close', e));
  return err;
}

async function clientRefused(connection: NodeConnectionOptions): Promise<Error> {
  const client = new JetStreamClient({ connection: { reconnect: false, ...connection } });
  const err = (await client.connect().then(
    () => new Error('connected'),
    (e: unknown) => e,
  )) as Error;
  recordError('client', err);
  await client.close();
  return err;
}

describe('no secret leaves the process: the canary (real nats-server)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nest-jetstream-canary-'));
  const writes = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  let server: NatsServer;
  let tokenServer: NatsServer | undefined;
  let credsServer: NatsServer | undefined;
  let nc: NatsConnection;
  let app: INestApplication | undefined;
  let base = '';

  beforeAll(async () => {
    process.stdout.write = ((chunk: unknown, ...rest: never[]) => (
      record('stdout', String(chunk)),
      writes.out(chunk as string, ...rest)
    )) as typeof process.stdout.write;
    process.stderr.write = ((chunk: unknown, ...rest: never[]) => (
      record('stderr', String(chunk)),
      writes.err(chunk as string, ...rest)
    )) as typeof process.stderr.write;
    server = await NatsServer.start({
      config: `authorization { users: [ { user: "${USER}", password: "${PASS}" }, { nkey: "${nkeyUser.getPublicKey()}" } ] }`,
    });
    nc = await connect({ servers: server.url, user: USER, pass: PASS });
  });
  afterAll(async () => {
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
    await app?.close();
    await nc?.close();
    await server?.stop();
    await tokenServer?.stop();
    await credsServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('boot failures: no server there, with the credentials in the URL, user/pass, token and an nkey', async () => {
    const port = await freePort();
    const where = `127.0.0.1:${port}`;
    const errors = [
      await bootFails({ servers: [`nats://${USER}:${URL_PASS}@${where}`, `tls://${USER}:${URL_PASS}@[::1]:${port}`] }),
      await bootFails({ servers: `nats://${where}`, user: USER, pass: PASS }),
      await bootFails({ servers: `nats://${TOKEN}@${where}` }),
      // Without a scheme (nats.js takes `host:port`, and so `user:pass@host:port`): the same credentials, the same redaction.
      await bootFails({ servers: [`${USER}:${URL_PASS}@${where}`, `${USER}:${URL_PASS}@[::1]:${port}`] }),
      await bootFails({ servers: `${TOKEN}@${where}` }),
      await clientRefused({ servers: `${USER}:${URL_PASS}@${where}` }),
      await clientRefused({ servers: `nats://${where}`, token: TOKEN }),
      await clientRefused({ servers: `nats://${where}`, authenticator: nkeyAuthenticator(new TextEncoder().encode(SEED)) }),
    ];
    for (const err of errors) expect(err.message).toContain(where);
    expect(leaks()).toEqual([]);
  });

  it('refused logins: a wrong password, token, nkey seed and .creds are refused, saying so', async () => {
    expect((await bootFails({ servers: server.url, user: USER, pass: WRONG_PASS })).message).toMatch(/Authorization Violation/);
    expect((await bootFails({ servers: server.url.replace('nats://', `nats://${USER}:${WRONG_PASS}@`) })).message).toMatch(/Authorization Violation/);
    expect((await bootFails({ servers: server.url.replace('nats://', `${USER}:${WRONG_PASS}@`) })).message).toMatch(/Authorization Violation/);
    expect((await clientRefused({ servers: server.url, authenticator: nkeyAuthenticator(new TextEncoder().encode(WRONG_SEED)) })).message).toMatch(
      /Check the credentials/,
    );
    tokenServer = await NatsServer.start({ config: `authorization { token: "${TOKEN}" }` });
    expect((await clientRefused({ servers: tokenServer.url, token: WRONG_TOKEN })).message).toMatch(/Check the credentials/);
    expect((await clientRefused({ servers: tokenServer.url.replace('nats://', `nats://${WRONG_TOKEN}@`) })).message).toMatch(/Check the credentials/);
    expect((await clientRefused({ servers: tokenServer.url.replace('nats://', `${WRONG_TOKEN}@`) })).message).toMatch(/Check the credentials/);
    const ok = new JetStreamClient({ connection: { servers: tokenServer.url, token: TOKEN } });
    await ok.connect();
    await ok.close();

    // A .creds file: operator, account and user JWTs; a forged one (another user's seed) is refused.
    const { account, serverConfig } = await makeOperatorAccounts();
    const credsUser = createUser();
    credsServer = await NatsServer.start({ config: serverConfig });
    const userJwt = await encodeUser('svc', credsUser, account);
    const forgedSeed = createUser();
    canaries.push(userJwt, new TextDecoder().decode(credsUser.getSeed()), new TextDecoder().decode(forgedSeed.getSeed()));
    const good = new JetStreamClient({ connection: { servers: credsServer.url, authenticator: credsAuthenticator(fmtCreds(userJwt, credsUser)) } });
    await good.connect();
    await good.close();
    expect((await clientRefused({ servers: credsServer.url, authenticator: credsAuthenticator(fmtCreds(userJwt, forgedSeed)) })).message).toMatch(
      /Check the credentials/,
    );
    expect(leaks()).toEqual([]);
  });

  it('a running service: a dead letter, health and metrics over HTTP, an outage and reconnect', async () => {
    const stream = `CANARY_${tag}`.toUpperCase();
    const dlq = `CANARYDLQ_${tag}`.toUpperCase();
    const strategy = new JetStreamServer({
      // Credentials in the URL and as options, as deployment tools often write both.
      connection: { servers: server.url.replace('nats://', `nats://${USER}:${PASS}@`), user: USER, pass: PASS },
      serviceName: 'canary',
      streams: [
        { name: stream, subjects: ['canary.>'] },
        { name: dlq, subjects: ['canarydlq.>'] },
      ],
      // A monitoring URL with credentials (fetch refuses it, so the check fails quoting it).
      health: { cacheTtl: 0, timeout: '1s', monitorUrl: `http://${USER}:${PASS}@127.0.0.1:${server.ports.monitor}` },
      metrics: new JetStreamMetrics({ registry, pollInterval: '1h' }),
    });
    strategyRef.server = strategy;
    for (const event of ['error', 'disconnect', 'reconnect', 'closed', 'deadLetter', 'terminated', 'deadLetterLost'] as const) {
      strategy.on(event, (...args: unknown[]) => record(`event ${event}`, ...args));
    }
    app = await NestFactory.create(CanaryAppModule, { logger });
    app.connectMicroservice({ strategy });
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    const get = async (path: string) => {
      const res = await fetch(`${base}${path}`);
      const body = await res.text();
      record(`GET ${path} ${res.status}`, body);
      return { status: res.status, body };
    };

    const js = (await import('@nats-io/jetstream')).jetstream(nc);
    await js.publish('canary.work', '{"n":1}');
    const jsm = await jetstreamManager(nc);
    const deadLetter = await waitFor('the dead letter', () => jsm.streams.getMessage(dlq, { last_by_subj: 'canarydlq.work' }).catch(() => undefined));
    for (const key of deadLetter.header?.keys() ?? []) record(`dead-letter header ${key}`, ...(deadLetter.header?.values(key) ?? []));
    expect(deadLetter.header?.get('Dead-Letter-Reason')).toContain('upstream refused login');

    const ready = await get('/health/ready');
    expect(ready.body).toContain('nats.monitoring');
    expect(ready.body).toContain(`127.0.0.1:${server.ports.monitor}`);
    expect((await get('/health/live')).status).toBe(200);
    expect((await get('/metrics')).body).toContain('nest_jetstream_');

    // The outage: the server stopped, the probes read while it is down, then it comes back.
    await server.kill('SIGTERM');
    await waitFor(
      'the service to see the outage',
      async () => (await get('/health/ready')).status === 503 && /reconnecting|disconnected/.test((await get('/health/ready')).body),
    );
    await get('/health/live');
    await server.restart();
    await waitFor(
      'the service to reconnect',
      async () => (await get('/health/live')).status === 200 && /"status":"connected"/.test((await get('/health/ready')).body),
      { timeout: 30_000 },
    );
    await get('/metrics');

    // The redrive command, credentials from the environment, from a creds-less URL on its command line, and wrong ones.
    const fromEnv = await runCli(['--servers', server.url, '--stream', dlq, '--limit', '1'], { NATS_USER: USER, NATS_PASS: PASS });
    expect(fromEnv.stdout).toMatch(/"redriven":1/);
    const inUrl = await runCli(['--servers', server.url.replace('nats://', `nats://${USER}:${PASS}@`), '--stream', dlq, '--limit', '1'], {});
    expect(inUrl.stderr).toMatch(/warning: --servers nats:\/\/\*\*\*@127\.0\.0\.1:\d+ carries credentials/);
    expect(inUrl.code).toBe(0);
    const schemeless = await runCli(['--servers', server.url.replace('nats://', `${USER}:${PASS}@`), '--stream', dlq, '--limit', '1'], {});
    expect(schemeless.stderr).toMatch(/warning: --servers \*\*\*@127\.0\.0\.1:\d+ carries credentials/);
    expect(schemeless.code).toBe(0);
    const wrong = await runCli(['--servers', server.url, '--stream', dlq, '--user', USER, '--pass', WRONG_PASS], {});
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/warning: --pass puts a secret on the command line/);
    expect(wrong.stderr).toMatch(/Authorization Violation/);
    const seedFile = join(dir, 'canary.nk');
    writeFileSync(seedFile, SEED);
    expect((await runCli(['--servers', server.url, '--stream', dlq, '--limit', '1'], { NATS_NKEY: seedFile })).code).toBe(0);
    expect((await runCli(['--servers', `nats://127.0.0.1:${await freePort()}`, '--stream', dlq], { NATS_TOKEN: TOKEN })).code).toBe(1);

    await app.close();
    app = undefined;
    // The capture saw the messages it should have: it would see a canary if one were printed.
    const all = seen.join('\n');
    expect(all).toMatch(/Terminated message|Dead-Letter-Reason/);
    expect(all).toMatch(/event disconnect/);
    expect(all).toContain('***');
    expect(leaks()).toEqual([]);
    // An outage, a reconnect and six spawned commands: generous on a loaded machine.
  }, 150_000);
});
