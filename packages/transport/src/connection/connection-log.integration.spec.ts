import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx } from '@nestjs/microservices';
import { waitFor } from '@nest-jetstream/testing';
import { CapturedLog, Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamClient } from '../client/jetstream.client.js';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import { RECONNECTING_LOG_INTERVAL_MS } from '../constants.js';
import type { Duration } from '../utils/duration.js';

// What an operator reads during an outage and a shutdown: each connection transition once
// (reconnect attempts at a bounded rate), and what shutdown waits for and how it ended.

const gate: { started: number[]; release?: () => void; released: Promise<void> } = { started: [], released: Promise.resolve() };

@Controller()
class SlowController {
  @JetStreamEvent('connlog.slow')
  async slow(@Ctx() ctx: JetStreamContext) {
    gate.started.push(ctx.getInfo().streamSequence);
    await gate.released;
  }
}

@Module({ controllers: [SlowController] })
class SlowModule {}

describe('connection and shutdown log lines (real nats-server, a capturing LoggerService)', () => {
  const h = new Harness();
  const stream = uniqueName('CONNLOG');

  beforeAll(async () => {
    await h.start();
    await h.jsm.streams.add({ name: stream, subjects: ['connlog.>'] });
  });
  afterAll(async () => {
    gate.release?.();
    await h.jsm.streams.delete(stream).catch(() => undefined);
    await h.stop();
  });

  async function boot(log: CapturedLog, serviceName: string, shutdownTimeout: Duration, servers = h.server.url) {
    // Each test its own durable, on a stream emptied of the messages of the tests before.
    await h.jsm.streams.purge(stream);
    const connection = { servers, reconnectTimeWait: 100, reconnectJitter: 0 };
    const strategy = new JetStreamServer({ connection, serviceName, shutdownTimeout });
    const app = await NestFactory.createMicroservice(SlowModule, { strategy, logger: log });
    await app.listen();
    return { app, strategy, client: new JetStreamClient({ connection }) };
  }

  it('logs disconnected once, reconnecting at a bounded rate, reconnected once, for the server and the client, without credentials', async () => {
    const log = new CapturedLog();
    const url = new URL(h.server.url);
    // Credentials in the URL: a server without auth accepts them, and they must never be printed.
    const { app, client } = await boot(log, 'connlog1', '1s', `nats://someone:s3cret-pass@${url.host}`);
    try {
      await client.connect();
      const killedAt = Date.now();
      await h.server.kill();
      // Past several reconnect attempts (100 ms apart) of both connections.
      await waitFor(
        'reconnect attempts of the server and the client',
        () => log.matching(/^Reconnecting to NATS: attempt/).length >= 2 && Date.now() - killedAt > 2_000,
        { timeout: 20_000 },
      );
      await h.server.restart();
      await waitFor('the reconnected lines of the server and the client', () => log.matching(/^Reconnected to NATS/).length === 2, { timeout: 30_000 });
      const outageMs = Date.now() - killedAt;
      for (const who of ['JetStreamServer', 'JetStreamClient']) {
        expect(log.matching(/^Disconnected from NATS/, who)).toEqual([expect.stringContaining(`Disconnected from NATS at ${url.host}: reconnecting`)]);
        const reconnecting = log.matching(/^Reconnecting to NATS/, who);
        expect(reconnecting[0]).toMatch(/^Reconnecting to NATS: attempt 1, /);
        // About 10 attempts a second: one line for the first, then one per interval at most.
        expect(reconnecting.length).toBeLessThanOrEqual(1 + Math.ceil(outageMs / RECONNECTING_LOG_INTERVAL_MS));
        expect(log.matching(/^Reconnected to NATS/, who)).toEqual([
          expect.stringMatching(new RegExp(`^Reconnected to NATS at ${url.host.replace('.', '\\.')} after \\d+\\.\\d s \\(\\d+ attempt\\(s\\)\\)$`)),
        ]);
      }
      expect(log.lines.filter((l) => /s3cret|someone/.test(l.message))).toEqual([]);
    } finally {
      await client.close();
      await app.close();
      // The harness's own connection reconnects on its own schedule: the next tests need it.
      await waitFor(
        'JetStream to answer the harness again',
        () =>
          h.jsm.streams.info(stream).then(
            () => true,
            () => false,
          ),
        { timeout: 30_000 },
      );
    }
    // A close asked for is not an outage.
    expect(log.matching(/^Disconnected from NATS/)).toHaveLength(2);
    // The client's close was quick: nothing to say.
    expect(log.matching(/^Clos/, 'JetStreamClient')).toEqual([]);
  });

  it('on shutdown, names the running handler it waits for and for how long, then says it was abandoned', async () => {
    const log = new CapturedLog();
    gate.released = new Promise<void>((resolve) => (gate.release = resolve));
    const { app, strategy } = await boot(log, 'connlog2', '300ms');
    const { durable } = strategy.bindings[0];
    try {
      const ack = await h.js.publish('connlog.slow', '{}');
      await waitFor('the slow handler to start', () => gate.started.includes(ack.seq));
    } finally {
      await app.close();
      gate.release?.();
    }
    expect(log.matching(/^Shutting down: /, 'JetStreamServer')).toEqual([
      `Shutting down: no new messages are pulled; waiting up to 300 ms (shutdownTimeout) for 1 running handler(s): 1 on "connlog.slow" (${stream}/${durable})`,
      `Shutting down: 1 handler(s) still running after shutdownTimeout 300 ms were abandoned, their messages naked for redelivery: 1 on "connlog.slow" (${stream}/${durable})`,
    ]);
    expect(log.matching(/^Closed in \d+ ms/, 'JetStreamServer')).toHaveLength(1);
  });

  it('on shutdown, says when every running handler finished', async () => {
    const log = new CapturedLog();
    gate.released = new Promise<void>((resolve) => (gate.release = resolve));
    const { app } = await boot(log, 'connlog3', '20s');
    let closed: Promise<void> | undefined;
    try {
      const ack = await h.js.publish('connlog.slow', '{}');
      await waitFor('the slow handler to start', () => gate.started.includes(ack.seq));
      closed = app.close();
      await waitFor('the waiting line', () => log.matching(/waiting up to 20000 ms \(shutdownTimeout\) for 1 running handler/).length === 1);
    } finally {
      gate.release?.();
      await (closed ?? app.close());
    }
    expect(log.matching(/^Shutting down: all 1 running handler\(s\) finished in \d+ ms$/, 'JetStreamServer')).toHaveLength(1);
    expect(log.matching(/abandoned/)).toEqual([]);
  });
});
