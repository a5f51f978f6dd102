import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { HealthReport } from './health.types.js';

// Each health signal against a real server: good, made bad, and good again.

const gate = { open: true, waiting: [] as (() => void)[] };

@Controller()
class HealthController {
  @JetStreamEvent('health.work', { concurrency: 1, prefetch: 1, lag: { maxPending: 5, maxAge: '1h' }, deadLetter: 'healthdlq.work' })
  async work(@Payload() _data: unknown, @Ctx() _ctx: JetStreamContext) {
    if (!gate.open) await new Promise<void>((resolve) => gate.waiting.push(resolve));
  }
}

@Module({ controllers: [HealthController] })
class HealthModule {}

const check = (report: HealthReport, name: string) => report.checks.find((c) => c.name === name);

describe('health signals (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('HEALTH');
  const dlq = uniqueName('HEALTHDLQ');
  const small = uniqueName('HEALTHSMALL');
  const streams = [
    { name: stream, subjects: ['health.>'] },
    { name: dlq, subjects: ['healthdlq.>'] },
  ];

  beforeAll(() => h.start());
  afterAll(async () => {
    gate.open = true;
    gate.waiting.splice(0).forEach((r) => r());
    await h.stop();
  });

  it('reports every signal up on a healthy service, with figures', async () => {
    const { strategy } = await h.app(HealthModule, {
      serviceName: 'healthy',
      streams,
      health: { cacheTtl: 0, monitorUrl: `http://127.0.0.1:${h.server.ports.monitor}`, storageWrite: true },
    });
    // Created at boot (create-or-update), before any check ran.
    expect((await h.jsm.streams.info('HEALTHY_HEALTH')).config).toMatchObject({ subjects: ['nest-jetstream.health.healthy'] });
    const ready = await strategy.health.readiness();
    expect(ready.status).toBe('up');
    expect(ready.checks.map((c) => [c.name, c.status])).toEqual([
      ['nats.connection', 'up'],
      ['nats.monitoring', 'up'],
      ['jetstream.storage', 'up'],
      ['jetstream.leaders', 'up'],
      ['jetstream.consumers', 'up'],
      ['jetstream.dead-letters', 'up'],
    ]);
    expect(check(ready, 'nats.connection')?.details).toMatchObject({ status: 'connected', rttMs: expect.any(Number) });
    expect(check(ready, 'jetstream.storage')?.details).toMatchObject({ stream: 'HEALTHY_HEALTH', writeMs: expect.any(Number) });
    expect((await h.jsm.streams.info('HEALTHY_HEALTH')).state.messages).toBe(1);
    expect((await h.jsm.streams.info('HEALTHY_HEALTH')).config).toMatchObject({ max_msgs_per_subject: 1, storage: 'file' });
    expect(check(ready, 'jetstream.dead-letters')?.details).toEqual({ [dlq]: { depth: 0 } });
    expect((await strategy.health.liveness()).status).toBe('up');
    await h.closeApps();
  });

  it('without health.storageWrite: no health stream, and the storage check compares use with the limits only', async () => {
    const { strategy } = await h.app(HealthModule, { serviceName: 'nowrite', streams, health: { cacheTtl: 0 } });
    const ready = await strategy.health.readiness();
    expect(ready.status).toBe('up');
    expect(check(ready, 'jetstream.storage')).toMatchObject({
      status: 'up',
      details: { write: expect.stringMatching(/^off: set health\.storageWrite to true/) },
    });
    const names: string[] = [];
    for await (const name of h.jsm.streams.names()) names.push(name);
    expect(names).not.toContain('NOWRITE_HEALTH');
    expect(strategy.health.storageTarget).toBeUndefined();
    const plan = await strategy.permissionsPlan();
    expect(plan.health).toBeUndefined();
    expect((await strategy.permissions('admin')).publish.allow.filter((s) => /NOWRITE_HEALTH|nest-jetstream\.health/.test(s))).toEqual([]);
    await h.closeApps();
  });

  it('refuses health.stream without health.storageWrite, naming both', async () => {
    const err = await h.app(HealthModule, { serviceName: 'named', streams, health: { stream: 'NAMED_PROBE' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JetStreamConfigError);
    expect((err as Error).message).toMatch(
      /health\.stream is set \(NAMED_PROBE\) but health\.storageWrite is not true.*Set health\.storageWrite: true, or remove health\.stream/,
    );
  });

  it('says the monitoring endpoint is not configured without a URL, and down when nothing listens there', async () => {
    const { strategy } = await h.app(HealthModule, { serviceName: 'nomon', streams, health: { cacheTtl: 0 } });
    const ready = await strategy.health.readiness();
    expect(check(ready, 'nats.monitoring')).toMatchObject({ status: 'not_configured', message: expect.stringMatching(/health.monitorUrl is not set/) });
    expect(ready.status).toBe('up');
    await h.closeApps();
    const { strategy: wrong } = await h.app(HealthModule, { serviceName: 'badmon', streams, health: { cacheTtl: 0, monitorUrl: 'http://127.0.0.1:1' } });
    const bad = await wrong.health.readiness();
    expect(bad.status).toBe('down');
    expect(check(bad, 'nats.monitoring')).toMatchObject({
      status: 'down',
      message: expect.stringMatching(/GET http:\/\/127\.0\.0\.1:1\/healthz\?js-enabled-only=true failed/),
    });
    await h.closeApps();
  });

  it('storage: down when a stream nearly fills its max_bytes, up when it has room again', async () => {
    await h.jsm.streams.add({ name: small, subjects: ['healthsmall.>'], max_bytes: 4096, discard: 'new' as never });
    const client = new JetStreamClient({
      connection: { servers: h.server.url },
      serviceName: 'storage',
      streams: [{ name: small, subjects: ['healthsmall.>'], maxBytes: 4096, discard: 'new' }],
      health: { cacheTtl: 0 },
    });
    try {
      await client.connect();
      expect((await client.health.readiness()).status).toBe('up');
      for (let i = 0; i < 50; i++) {
        const full = await h.js.publish('healthsmall.x', new Uint8Array(200)).then(
          () => false,
          () => true,
        );
        if (full) break;
      }
      const ready = await client.health.readiness();
      expect(check(ready, 'jetstream.storage')).toMatchObject({
        status: 'down',
        message: expect.stringMatching(new RegExp(`stream ${small} uses \\d+ of its max_bytes 4096`)),
      });
      await h.jsm.streams.purge(small);
      expect((await client.health.readiness()).status).toBe('up');
    } finally {
      await client.close();
    }
  });

  it("consumer lag: down while messages pile up past the handler's maxPending, up once drained", async () => {
    const { strategy } = await h.app(HealthModule, { serviceName: 'laggy', streams, health: { cacheTtl: 0 } });
    gate.open = false;
    for (let i = 0; i < 10; i++) await h.js.publish('health.work', '{}');
    const lagging = await waitFor('readiness down for lag', async () => {
      const r = await strategy.health.readiness();
      return check(r, 'jetstream.consumers')?.status === 'down' ? r : undefined;
    });
    expect(lagging.status).toBe('down');
    expect(check(lagging, 'jetstream.consumers')?.message).toMatch(/laggy__health_work has \d+ unprocessed messages \(more than 5\)/);
    expect((await strategy.health.liveness()).status).toBe('up'); // a slow consumer never fails liveness
    gate.open = true;
    gate.waiting.splice(0).forEach((r) => r());
    await waitFor('readiness up once drained', async () => (await strategy.health.readiness()).status === 'up', { timeout: 20_000 });
    await h.closeApps();
  });

  it('storage in verify mode: down, naming the health stream to create, when it does not exist', async () => {
    await h.app(HealthModule, { serviceName: 'verifier', streams, health: { storageWrite: true } });
    await h.closeApps();
    // create-or-update made it at boot; someone deleted it since.
    await h.jsm.streams.delete('VERIFIER_HEALTH');
    const { strategy } = await h.app(HealthModule, { serviceName: 'verifier', provisioning: 'verify', streams, health: { cacheTtl: 0, storageWrite: true } });
    const ready = await strategy.health.readiness();
    expect(check(ready, 'jetstream.storage')).toMatchObject({
      status: 'down',
      message: expect.stringMatching(
        /stream VERIFIER_HEALTH does not exist \(provisioning 'verify'\): create it with subjects \['nest-jetstream\.health\.verifier'\]/,
      ),
    });
    await h.closeApps();
  });

  // Last: it kills and restarts the server under the other tests' connections.
  it('connection: readiness down while the server is down (liveness stays up while reconnecting), both up after its restart', async () => {
    const { strategy } = await h.app(HealthModule, {
      serviceName: 'outage',
      streams,
      connection: { servers: h.server.url, reconnectTimeWait: 200 },
      health: { cacheTtl: 0, timeout: '500ms' },
    });
    // Its new consumer first works through the stream's earlier messages.
    await waitFor('readiness up', async () => (await strategy.health.readiness()).status === 'up', { timeout: 20_000 });
    await h.server.kill();
    try {
      const down = await waitFor('readiness down', async () => {
        const r = await strategy.health.readiness();
        return r.status === 'down' ? r : undefined;
      });
      // Down either way: the status already says so, or the round trip fails first.
      expect(check(down, 'nats.connection')).toMatchObject({
        status: 'down',
        message: expect.stringMatching(/JetStreamServer is (disconnected|reconnecting)|did not answer a round trip/),
      });
      expect((await strategy.health.liveness()).status).toBe('up');
    } finally {
      await h.server.restart();
    }
    await waitFor('readiness up again', async () => (await strategy.health.readiness()).status === 'up', { timeout: 30_000 });
    await h.closeApps();
  });
});
