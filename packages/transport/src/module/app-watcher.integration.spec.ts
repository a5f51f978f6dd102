import { Controller, Module, type INestApplication, type INestMicroservice, type LoggerService, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload, Transport } from '@nestjs/microservices';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, Probe, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { JetStreamOptions } from '../interfaces/jetstream-options.interface.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import { JetStreamAppWatcher } from './jetstream-app.watcher.js';
import { JetStreamModule } from './jetstream.module.js';

// Nothing runs silently wrong: a plain @EventPattern no server of the app takes is refused at boot
// (a warning when the server cannot see the app), and @JetStreamEvent handlers whose JetStream
// server was never connected are warned about, with readiness saying the same.

/** Every line the app logs, by level (the app's logger, as users give it to NestFactory). */
class CapturedLog implements LoggerService {
  readonly lines: { level: string; message: string }[] = [];
  log(message: unknown): void {
    this.lines.push({ level: 'log', message: String(message) });
  }
  error(message: unknown): void {
    this.lines.push({ level: 'error', message: String(message) });
  }
  warn(message: unknown): void {
    this.lines.push({ level: 'warn', message: String(message) });
  }
  debug(message: unknown): void {
    this.lines.push({ level: 'debug', message: String(message) });
  }
  verbose(): void {}
  matching(level: string, pattern: RegExp): string[] {
    return this.lines.filter((l) => l.level === level && pattern.test(l.message)).map((l) => l.message);
  }
}

const probe = new Probe<string>();

@Controller()
class PlainController {
  @EventPattern('watch.plain')
  onPlain(@Payload() data: { id: string }) {
    probe.add(`plain:${data.id}`);
  }

  @JetStreamEvent('watch.evt')
  onEvent(@Payload() data: { id: string }) {
    probe.add(`js:${data.id}`);
  }
}

@Controller()
class EventsController {
  @JetStreamEvent('watch.evt')
  onEvent(@Payload() data: { id: string }) {
    probe.add(`js:${data.id}`);
  }
}

describe('JetStreamModule watches the app: plain @EventPattern and a server never connected (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('WATCH');
  const closers: (() => Promise<unknown>)[] = [];
  let options: JetStreamOptions;

  const moduleWith = (controller: Type<unknown>): Type<unknown> => {
    @Module({ imports: [JetStreamModule.forRoot(options)], controllers: [controller] })
    class AppModule {}
    return AppModule;
  };
  const microservice = async (module: Type<unknown>, logger: LoggerService, strategy = new JetStreamServer(options)): Promise<INestMicroservice> => {
    const app = await NestFactory.createMicroservice(module, { strategy, logger });
    closers.push(() => app.close());
    return app;
  };
  const http = async (module: Type<unknown>, logger: LoggerService): Promise<INestApplication> => {
    const app = await NestFactory.create(module, { logger });
    closers.push(() => app.close());
    return app;
  };

  beforeAll(async () => {
    await h.start();
    options = { connection: { servers: h.server.url }, serviceName: 'watch', streams: [{ name: stream, subjects: ['watch.>'] }], shutdownTimeout: '2s' };
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close().catch(() => undefined);
    // Each test starts from a stream without consumers: one a test leaves would be reported as left behind by the next.
    const names = await h.jsm.streams.info(stream).then(
      async () => (await h.jsm.consumers.list(stream).next()).map((c) => c.name),
      () => [] as string[],
    );
    for (const name of names) await h.jsm.consumers.delete(stream, name);
  });
  afterAll(() => h.stop());

  it('refuses a plain @EventPattern in a JetStream-only app, naming the class and method', async () => {
    const log = new CapturedLog();
    const app = await microservice(moduleWith(PlainController), log);
    const failure = await app.listen().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(JetStreamConfigError);
    expect((failure as Error).message).toMatch(
      /only microservice server of this app.*PlainController\.onPlain \(@EventPattern\('watch\.plain'\)\).*@JetStreamEvent\(subject\).*bindPlainEventPatterns: true/,
    );
  });

  it('binds it with bindPlainEventPatterns: true instead', async () => {
    const log = new CapturedLog();
    const strategy = new JetStreamServer({ ...options, bindPlainEventPatterns: true });
    const app = await microservice(moduleWith(PlainController), log, strategy);
    await app.listen();
    expect(strategy.bindings.map((b) => b.subject).sort()).toEqual(['watch.evt', 'watch.plain']);
  });

  it('warns, naming the pattern, when the server is used without JetStreamModule (it cannot see the app)', async () => {
    const log = new CapturedLog();
    @Module({ controllers: [PlainController] })
    class BareModule {}
    const strategy = new JetStreamServer(options);
    const app = await microservice(BareModule, log, strategy);
    await app.listen();
    expect(log.matching('warn', /does not bind plain @EventPattern handlers: @EventPattern\('watch\.plain'\).*cannot tell/)).toHaveLength(1);
    expect(strategy.bindings.map((b) => b.subject)).toEqual(['watch.evt']);
  });

  it('in a hybrid app, leaves the plain pattern to Transport.NATS (it runs there) and neither refuses nor warns', async () => {
    const log = new CapturedLog();
    const app = await http(moduleWith(PlainController), log);
    app.connectMicroservice({ transport: Transport.NATS, options: { servers: [h.server.url] } });
    app.connectMicroservice({ strategy: app.get(JetStreamServer) });
    await app.startAllMicroservices();
    await app.init();
    h.nc.publish('watch.plain', JSON.stringify({ id: 'p1' }));
    await waitFor('the plain handler on core NATS', () => probe.count((p) => p === 'plain:p1') === 1);
    await h.js.publish('watch.evt', JSON.stringify({ id: 'e1' }));
    await waitFor('the JetStream handler', () => probe.count((p) => p === 'js:e1') === 1);
    expect(app.get(JetStreamServer).bindings.map((b) => b.subject)).toEqual(['watch.evt']);
    expect(log.matching('debug', /left to the app's other server\(s\) \(ServerNats\): PlainController\.onPlain/)).toHaveLength(1);
    // Nor the never-connected warning: the check found the server listening.
    expect(await app.get(JetStreamAppWatcher).checked).toBe('listening');
    expect(log.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
    expect((await app.get(JetStreamServer).health.readiness()).checks.find((c) => c.name === 'nats.connection')?.status).toBe('up');
  });

  it('warns when the app has @JetStreamEvent handlers and its JetStreamServer was never connected; readiness says so', async () => {
    const log = new CapturedLog();
    const app = await http(moduleWith(EventsController), log);
    await app.init();
    const [warning] = await waitFor('the never-connected warning', () => {
      const found = log.matching('warn', /@JetStreamEvent handler/);
      return found.length > 0 ? found : undefined;
    });
    expect(warning).toMatch(
      /1 @JetStreamEvent handler\(s\) \(EventsController\.onEvent\) but no JetStreamServer has started listening.*never handled.*app\.connectMicroservice\(\{ strategy: app\.get\(JetStreamServer\) \}\) then await app\.startAllMicroservices\(\)/,
    );
    const readiness = await app.get(JetStreamServer).health.readiness();
    expect(readiness.status).toBe('down');
    expect(readiness.checks.find((c) => c.name === 'nats.connection')).toMatchObject({
      status: 'down',
      message: expect.stringMatching(/has not started listening: it was never connected to the app.*app\.connectMicroservice/),
    });
  });

  it('a JetStream-only app on its own strategy instance gets no warning; the unused module server says which instance runs', async () => {
    const log = new CapturedLog();
    const module = moduleWith(EventsController);
    const strategy = new JetStreamServer(options);
    const app = await microservice(module, log, strategy);
    await app.listen();
    await h.js.publish('watch.evt', JSON.stringify({ id: 'e2' }));
    await waitFor('the JetStream handler', () => probe.count((p) => p === 'js:e2') === 1);
    // The check runs after the grace (a standalone microservice bootstraps before it listens): it found a server listening.
    expect(await app.get(JetStreamAppWatcher).checked).toBe('listening');
    expect(log.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
    const moduleServer = app.get(JetStreamServer);
    expect(moduleServer).not.toBe(strategy);
    expect((await moduleServer.health.readiness()).checks[0].message).toMatch(/never started: the app runs another JetStreamServer instance/);
  });

  it('runs the module server as the strategy of a JetStream-only app, as its readiness advises', async () => {
    const app = await NestFactory.createMicroservice(moduleWith(EventsController), {
      inject: [JetStreamServer],
      useFactory: (server: JetStreamServer) => ({ strategy: server }),
      logger: false,
    });
    closers.push(() => app.close());
    await app.listen();
    await h.js.publish('watch.evt', JSON.stringify({ id: 'e3' }));
    await waitFor('the JetStream handler', () => probe.count((p) => p === 'js:e3') === 1);
    expect(app.get(JetStreamServer).bindings.map((b) => b.subject)).toEqual(['watch.evt']);
    expect((await app.get(JetStreamServer).health.readiness()).checks[0]).toMatchObject({ name: 'nats.connection', status: 'up' });
  });
});
