import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/nats-core';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, Probe, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamConnectionError } from '../errors/jetstream-transport.error.js';
import type { JetStreamStatus } from '../connection/connection-events.js';

// An outage longer than the NATS client's default reconnect budget (10 attempts) must not stop a
// service for good; a connection that does close says so.

const handled = new Probe<number>();

@Controller()
class OutageController {
  @JetStreamEvent('outage.event')
  handle(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    handled.add(ctx.getInfo().streamSequence);
  }
}

@Module({ controllers: [OutageController] })
class OutageModule {}

describe('connection outages (real nats-server, killed and restarted)', () => {
  const h = new Harness();
  const stream = uniqueName('OUTAGE');
  // 10 attempts 200 ms apart is about 2 s: an outage of 5 s is well past the client's default limit.
  const connection = () => ({ servers: h.server.url, reconnectTimeWait: 200, reconnectJitter: 0 });

  beforeAll(async () => {
    await h.start();
    await h.jsm.streams.add({ name: stream, subjects: ['outage.>'] });
  });
  afterAll(() => h.stop());

  it('reconnects for as long as it runs: every message published after a long outage is handled', async () => {
    const { strategy } = await h.app(OutageModule, { serviceName: 'outage', connection: connection() });
    const client = new JetStreamClient({ connection: connection() });
    const statuses: JetStreamStatus[] = [];
    strategy.status.subscribe((s) => statuses.push(s));
    const closed: Error[] = [];
    strategy.on('closed', (e) => closed.push(e));
    try {
      await client.connect();
      const nc = strategy.unwrap<NatsConnection>();
      let attempts = 0;
      void (async () => {
        for await (const s of nc.status()) if (s.type === 'reconnecting') attempts++;
      })();
      await h.server.kill();
      // The outage lasts past the client's default budget of 10 reconnect attempts.
      await waitFor('more than 10 reconnect attempts', () => attempts > 12, { timeout: 30_000 });
      expect(nc.isClosed()).toBe(false);
      await h.server.restart();
      await waitFor('the server to be connected again', () => statuses.at(-1) === 'connected', { timeout: 20_000 });
      const seqs: number[] = [];
      for (let i = 0; i < 5; i++) seqs.push((await client.publish('outage.event', { i })).seq);
      await waitFor('every message published after the outage to be handled', () => seqs.every((s) => handled.seen.includes(s)), { timeout: 30_000 });
      expect(closed).toEqual([]);
    } finally {
      await client.close();
      await h.closeApps();
    }
  });

  it('when the connection does close for good: status closed, a closed event that says why, publishes fail with a typed error', async () => {
    const { strategy } = await h.app(OutageModule, { serviceName: 'outage2', connection: { ...connection(), maxReconnectAttempts: 2 } });
    const client = new JetStreamClient({ connection: { ...connection(), maxReconnectAttempts: 2 } });
    const statuses: JetStreamStatus[] = [];
    strategy.status.subscribe((s) => statuses.push(s));
    const serverClosed: JetStreamConnectionError[] = [];
    const clientClosed: JetStreamConnectionError[] = [];
    strategy.on('closed', (e) => serverClosed.push(e));
    client.on('closed', (e) => clientClosed.push(e));
    try {
      await client.connect();
      await h.server.kill();
      await waitFor('the closed event of the server and the client', () => serverClosed.length === 1 && clientClosed.length === 1, { timeout: 20_000 });
      expect(statuses.at(-1)).toBe('closed');
      expect(serverClosed[0]).toBeInstanceOf(JetStreamConnectionError);
      expect(serverClosed[0].message).toMatch(/JetStreamServer's NATS connection closed and will not reconnect.*maxReconnectAttempts/);
      // Health says so: readiness and, closed for good, liveness too (a restart is what helps).
      const ready = await strategy.health.readiness();
      expect(ready.checks.find((c) => c.name === 'nats.connection')).toMatchObject({
        status: 'down',
        message: expect.stringMatching(/closed and will not reconnect/),
      });
      expect((await strategy.health.liveness()).status).toBe('down');
      const err = await client.publish('outage.event', { late: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JetStreamConnectionError);
      expect((err as Error).message).toMatch(/Cannot publish to "outage.event": the NATS connection is closed and will not reconnect/);
    } finally {
      await h.server.restart();
      await client.close();
      await h.closeApps();
    }
  });
});
