import { Controller, Module, type INestApplication, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, MessagePattern, Payload, Transport, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { NatsServer, waitFor } from '@nest-jetstream/testing';
import { Harness, WarningLog, uniqueName } from '../__fixtures__/harness.js';
import type { JetStreamOptions } from '../interfaces/jetstream-options.interface.js';
import { JetStreamServer } from './jetstream.server.js';

// A hybrid app (Transport.NATS beside the JetStream server, as in module/hybrid.integration.spec.ts):
// listen() names every @MessagePattern subject a stream captures, or boots with a warning.

/** Request handlers under `base`: bound to NATS, unbound, a wildcard, an object pattern and a TCP-only one. */
function accountsController(base: string) {
  @Controller()
  class AccountsController {
    @MessagePattern(`${base}.acc.get`, Transport.NATS)
    get(@Payload() id: string) {
      return { id, balance: 42 };
    }

    @MessagePattern(`${base}.acc.list`)
    list() {
      return [];
    }

    @MessagePattern(`${base}.acc.*.peek`, Transport.NATS)
    peek() {
      return 'peek';
    }

    @MessagePattern({ cmd: `${base}.sum` }, Transport.NATS)
    sum(@Payload() data: number[]) {
      return data.reduce((a, b) => a + b, 0);
    }

    @MessagePattern(`${base}.acc.tcp`, Transport.TCP)
    overTcp() {
      return 'tcp';
    }
  }
  return AccountsController;
}

describe('request subjects in streams, beside Transport.NATS (real nats-server)', () => {
  const h = new Harness();
  const apps: INestApplication[] = [];
  const clients: ClientProxy[] = [];

  beforeAll(async () => {
    await h.start();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(apps.map((a) => a.close()));
    await h.stop();
  });

  async function boot(base: string, options: JetStreamOptions, logger: LoggerService | false = false): Promise<INestApplication> {
    @Module({ controllers: [accountsController(base)] })
    class AccountsModule {}
    const app = await NestFactory.create(AccountsModule, { logger });
    apps.push(app);
    app.connectMicroservice({ transport: Transport.NATS, options: { servers: [h.server.url] } });
    app.connectMicroservice({
      strategy: new JetStreamServer({ connection: { servers: h.server.url }, serviceName: 'accounts', shutdownTimeout: '5s', ...options }),
    });
    await app.startAllMicroservices();
    await app.init();
    return app;
  }

  function coreClient(): ClientProxy {
    const client = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [h.server.url] } });
    clients.push(client);
    return client;
  }

  it('fails listen() naming every captured pattern with its declared stream and subject', async () => {
    const base = uniqueName('rsq').toLowerCase();
    const stream = uniqueName('ACC');
    const failure = boot(base, { streams: [{ name: stream, subjects: [`${base}.acc.>`] }] });
    await expect(failure).rejects.toMatchObject({ name: 'JetStreamConfigError', code: 'CONFIG' });
    const message = ((await failure.catch((err: unknown) => err)) as Error).message;
    expect(message).toContain('capture 3 @MessagePattern subject(s)');
    for (const [subject, method] of [
      ['acc.get', 'get'],
      ['acc.list', 'list'],
      ['acc.*.peek', 'peek'],
    ]) {
      expect(message).toContain(`"${base}.${subject}" (AccountsController.${method}) by stream ${stream} (its subject "${base}.acc.>")`);
    }
    expect(message).toMatch(/Move each request subject out of the stream's subjects .* or narrow the stream's subjects/);
    expect(message).toContain("requestSubjectsInStreams: 'warn'");
    // The object pattern is no subject, and the TCP handler is not served over NATS.
    expect(message).not.toContain('.sum');
    expect(message).not.toContain('acc.tcp');
  });

  it('fails listen() for a stream on the server that the app does not declare, literal and wildcard patterns alike', async () => {
    const base = uniqueName('rsq').toLowerCase();
    const stream = uniqueName('LEDGER');
    await h.jsm.streams.add({ name: stream, subjects: [`${base}.acc.get`, `${base}.acc.x.peek`] });
    const failure = boot(base, {});
    await expect(failure).rejects.toMatchObject({ name: 'JetStreamConfigError' });
    const message = ((await failure.catch((err: unknown) => err)) as Error).message;
    expect(message).toContain('capture 2 @MessagePattern subject(s)');
    expect(message).toContain(`"${base}.acc.get" (AccountsController.get) by stream ${stream} (on the server, not in options.streams)`);
    expect(message).toContain(`"${base}.acc.*.peek" (AccountsController.peek) by stream ${stream} (on the server, not in options.streams)`);
    expect(message).not.toContain(`"${base}.acc.list"`);
  });

  it("with requestSubjectsInStreams: 'warn' boots and warns; the stream then stores every request", async () => {
    const base = uniqueName('rsq').toLowerCase();
    const stream = uniqueName('ACC');
    const log = new WarningLog();
    await boot(base, { streams: [{ name: stream, subjects: [`${base}.acc.get`] }], requestSubjectsInStreams: 'warn' }, log);
    const warning = log.warnings.find((w) => w.includes('@MessagePattern'));
    expect(warning).toContain(`"${base}.acc.get" (AccountsController.get) by stream ${stream} (its subject "${base}.acc.get")`);
    expect(warning).toContain("a caller may get the stream's PubAck");
    expect(warning).not.toContain("requestSubjectsInStreams: 'warn'");
    // What the user accepted: the request is kept in the stream, whichever reply the caller got first.
    const request = JSON.stringify({ pattern: `${base}.acc.get`, data: 'a1', id: 'req-1' });
    await h.nc.request(`${base}.acc.get`, request, { timeout: 5000 });
    const stored = await waitFor('the request stored in the stream', () =>
      h.jsm.streams.getMessage(stream, { last_by_subj: `${base}.acc.get` }).catch(() => undefined),
    );
    expect(stored.string()).toBe(request);
  });

  it('boots silently when every pattern is outside the streams, and request/reply works', async () => {
    const prefix = uniqueName('rsq').toLowerCase();
    const declared = uniqueName('ACC');
    const onServer = uniqueName('LEDGER');
    await h.jsm.streams.add({ name: onServer, subjects: [`${prefix}.ledger.>`] });
    const log = new WarningLog();
    await boot(`${prefix}.rpc`, { streams: [{ name: declared, subjects: [`${prefix}.acc.>`, `${prefix}.rpc.acc`, `${prefix}.rpc.*.list.x`] }] }, log);
    expect(log.warnings.filter((w) => w.includes('@MessagePattern'))).toEqual([]);
    const client = coreClient();
    await expect(firstValueFrom(client.send(`${prefix}.rpc.acc.get`, 'a1'))).resolves.toEqual({ id: 'a1', balance: 42 });
    await expect(firstValueFrom(client.send({ cmd: `${prefix}.rpc.sum` }, [1, 2, 3]))).resolves.toBe(6);
    expect((await h.jsm.streams.info(declared)).state.messages).toBe(0);
  });

  it('checks the declared streams only, warning, when the identity may not ask which streams capture a subject (createMicroservice alone)', async () => {
    const restricted = await NatsServer.start({
      config: 'authorization { users: [ { user: svc, password: pw, permissions: { publish: { allow: [">"], deny: ["$JS.API.STREAM.NAMES"] } } } ] }',
    });
    try {
      const base = uniqueName('rsq').toLowerCase();
      @Module({ controllers: [accountsController(base)] })
      class AccountsModule {}
      const log = new WarningLog();
      const stream = uniqueName('ACC');
      const strategy = new JetStreamServer({
        connection: { servers: restricted.url, user: 'svc', pass: 'pw' },
        provisioning: 'off',
        streams: [{ name: stream, subjects: [`${base}.acc.list`] }],
      });
      const app = await NestFactory.createMicroservice(AccountsModule, { strategy, logger: log });
      await expect(app.listen()).rejects.toThrow(`"${base}.acc.list" (AccountsController.list) by stream ${stream} (its subject "${base}.acc.list")`);
      await app.close();
      expect(log.warnings.filter((w) => w.includes(`"${base}.acc.get"`))).toEqual([
        expect.stringMatching(
          /^Could not ask the server which streams capture the @MessagePattern subject ".*" \(Permissions Violation for Publish to "\$JS\.API\.STREAM\.NAMES"\); only options\.streams were checked for it/,
        ),
      ]);
    } finally {
      await restricted.stop();
    }
  });
});
