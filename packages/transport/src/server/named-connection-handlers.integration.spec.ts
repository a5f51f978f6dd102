import { AckPolicy } from '@nats-io/jetstream';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { waitFor } from '@nest-jetstream/testing';
import { Registry } from 'prom-client';
import { JetStreamMetrics } from '../metrics/jetstream.metrics.js';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { UnknownConnectionError } from '../connections/connection-errors.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamCron } from '../cron/jetstream-cron.decorator.js';
import { JetStreamServer } from './jetstream.server.js';
import { CONSUMER_FEATURES } from '../delivery/consumer-features.js';
import { versionAtLeast } from '../utils/server-version.js';

// Handlers and declared streams on a named connection (critical: its handlers start at boot),
// in every delivery mode, against two nats-servers: the default connection's (A) and "eu"'s (B).

const handled: string[] = [];

@Controller()
class EuController {
  @JetStreamEvent('ncx.work.>', { connection: 'eu', maxDeliver: 1, deadLetter: 'ncxdlq.{subject}' })
  work(@Payload() m: { id: string }) {
    if (m.id === 'bad') throw new Error('always fails');
    handled.push(`work:${m.id}`);
  }

  @JetStreamEvent('ncx.fan.>', { connection: 'eu', mode: 'broadcast' })
  fan(@Payload() m: { id: string }) {
    handled.push(`fan:${m.id}`);
  }

  @JetStreamEvent('ncx.push.>', { connection: 'eu', mode: 'push' })
  push(@Payload() m: { id: string }) {
    handled.push(`push:${m.id}`);
  }

  @JetStreamEvent('ncx.ord.>', { connection: 'eu', mode: 'ordered' })
  ordered(@Payload() m: { id: string }) {
    handled.push(`ord:${m.id}`);
  }

  @JetStreamEvent('ncxhome.>')
  home(@Payload() m: { id: string }) {
    handled.push(`home:${m.id}`);
  }
}

@Module({ controllers: [EuController] })
class EuModule {}

@Controller()
class MoonController {
  @JetStreamEvent('moon.rise', { connection: 'moon' })
  onMoon() {}
}

@Module({ controllers: [MoonController] })
class MoonModule {}

@Controller()
class EuCronController {
  @JetStreamCron('ncxcron.tick', '@every 1m', { connection: 'eu' })
  tick() {}
}

@Module({ controllers: [EuCronController] })
class EuCronModule {}

@Controller()
class RetryController {
  @JetStreamEvent('ncr.work', { connection: 'later' })
  work(@Payload() m: { id: string }) {
    handled.push(`retry:${m.id}`);
  }
}

@Module({ controllers: [RetryController] })
class RetryModule {}

async function names(h: Harness): Promise<string[]> {
  const out: string[] = [];
  for await (const n of h.jsm.streams.names()) out.push(n);
  return out;
}

describe('handlers and streams on a named connection (two real nats-servers)', () => {
  const a = new Harness();
  const b = new Harness();
  const work = uniqueName('NCX');
  const dlq = uniqueName('NCXDLQ');
  const home = uniqueName('NCXHOME');

  beforeAll(() => Promise.all([a.start(), b.start()]));
  afterAll(() => Promise.all([a.stop(), b.stop()]));

  it('provisions and consumes them through that connection in every mode; dead letters and replays go through it too', async () => {
    const registry = new Registry();
    const metrics = new JetStreamMetrics({ registry, pollInterval: '1h' });
    const strategy = new JetStreamServer({
      metrics,
      connection: { servers: a.server.url },
      serviceName: 'ncx',
      shutdownTimeout: '5s',
      streams: [
        { name: work, subjects: ['ncx.>'], connection: 'eu' },
        { name: dlq, subjects: ['ncxdlq.>'], connection: 'eu' },
        { name: home, subjects: ['ncxhome.>'] },
      ],
      connections: { eu: { connection: { servers: b.server.url } } },
    });
    const app = await NestFactory.createMicroservice(EuModule, { strategy, logger: false });
    await app.listen();
    try {
      // Each stream on its own connection's server only.
      expect((await names(b)).sort()).toEqual(expect.arrayContaining([work, dlq].sort()));
      expect(await names(b)).not.toContain(home);
      expect(await names(a)).toContain(home);
      expect(await names(a)).not.toContain(work);
      expect(strategy.bindings.filter((x) => x.connection === 'eu').map((x) => x.mode)).toEqual(['shared', 'broadcast', 'push', 'ordered']);

      for (const s of ['ncx.work.ok', 'ncx.work.bad', 'ncx.fan.1', 'ncx.push.1', 'ncx.ord.1'])
        await b.js.publish(s, JSON.stringify({ id: s.split('.').pop() }));
      await a.js.publish('ncxhome.1', JSON.stringify({ id: '1' }));
      await waitFor('every handler handled its message', () => ['work:ok', 'fan:1', 'push:1', 'ord:1', 'home:1'].every((m) => handled.includes(m)), {
        timeout: 30_000,
      });
      // The failed one is dead-lettered on B, through the handler's connection.
      await waitFor('the dead letter on B', async () => (await b.jsm.streams.info(dlq)).state.messages === 1, { timeout: 30_000 });
      const dead = await b.jsm.streams.getMessage(dlq, { seq: 1 });
      expect(dead?.subject).toBe('ncxdlq.ncx.work.bad');

      // Its metrics carry connection="eu", its consumer's gauges read through B.
      const durable = strategy.bindings.find((x) => x.subject === 'ncx.work.>')?.durable;
      await metrics.pollNow();
      const samples = async (name: string) => (await registry.getMetricsAsJSON()).find((m) => m.name === name)?.values ?? [];
      const onEu = expect.objectContaining({ labels: expect.objectContaining({ stream: work, consumer: durable, connection: 'eu' }) });
      expect(await samples('nest_jetstream_consumer_pending_messages')).toContainEqual(onEu);
      expect(await samples('nest_jetstream_connected')).toContainEqual(expect.objectContaining({ value: 1, labels: { role: 'server', connection: 'eu' } }));
      expect(await samples('nest_jetstream_messages_settled_total')).toContainEqual(
        expect.objectContaining({ value: 1, labels: expect.objectContaining({ consumer: durable, connection: 'eu', outcome: 'dead_letter' }) }),
      );

      // Readiness reads its consumers through B and lists a durable left behind there.
      await b.jsm.consumers.add(work, { durable_name: 'ncx__retired', ack_policy: AckPolicy.Explicit });
      const consumers = (await strategy.health.readiness()).checks.find((c) => c.name === 'jetstream.consumers');
      expect(consumers?.status).toBe('up');
      expect(consumers?.details).toHaveProperty([`${work}/${durable}`, 'pending'], 0);
      expect(consumers?.details?.leftBehind).toEqual([expect.objectContaining({ consumer: `${work}/ncx__retired`, connection: 'eu' })]);
      // Paused and resumed on B (2.11+; older servers refuse with the version).
      if (versionAtLeast(b.nc.info?.version ?? '0.0.0', CONSUMER_FEATURES.pause.minServer)) {
        expect(await strategy.consumers.pause('ncx.work.>')).toMatchObject({ paused: true, stream: work });
        expect((await b.jsm.consumers.info(work, durable ?? '')).paused).toBe(true);
        expect(await strategy.consumers.resume('ncx.work.>')).toMatchObject({ paused: false });
        expect(await strategy.consumers.pauseState('ncx.work.>')).toMatchObject({ paused: false });
      } else {
        await expect(strategy.consumers.pause('ncx.work.>')).rejects.toThrow(/arrived in nats-server 2\.11\.0/);
      }

      // A replay of a handler on "eu" reads B's stream.
      const replayed = await strategy.replay('ncx.fan.>', { from: 1 });
      expect(replayed).toMatchObject({ handled: 1, failed: [] });
      expect(handled.filter((m) => m === 'fan:1')).toHaveLength(2);
    } finally {
      await app.close();
    }
    // The broadcast consumer (this instance's own) was removed from B at close.
    const left: string[] = [];
    for await (const c of b.jsm.consumers.list(work)) left.push(c.name);
    expect(left.filter((n) => n.startsWith('ncx__ncx_fan'))).toEqual([]);
  });

  it('tries again a non-critical connection’s handlers that failed to start, and they start once the cause is fixed', async () => {
    const errors: string[] = [];
    const logger = { log: () => undefined, warn: () => undefined, error: (m: unknown) => void errors.push(String(m)) };
    const retried = uniqueName('NCR');
    const strategy = new JetStreamServer({
      connection: { servers: a.server.url },
      serviceName: 'ncr',
      streams: [{ name: retried, subjects: ['ncr.>'], connection: 'later' }],
      connections: { later: { connection: { servers: b.server.url }, critical: false } },
    });
    // Another stream on B holds the subjects: the first start cannot create the handler's.
    const blocker = uniqueName('NCRBLOCK');
    await b.jsm.streams.add({ name: blocker, subjects: ['ncr.>'] });
    const app = await NestFactory.createMicroservice(RetryModule, { strategy, logger });
    await app.listen();
    try {
      await waitFor('the first start refused', () => errors.some((e) => e.includes('The handlers on connection "later" could not start')), { timeout: 20_000 });
      expect(strategy.bindings.filter((x) => x.connection === 'later')).toEqual([]);
      await b.jsm.streams.delete(blocker);
      await waitFor('the handler on "later" started by a later try', () => strategy.bindings.some((x) => x.connection === 'later'), { timeout: 30_000 });
      await b.js.publish('ncr.work', JSON.stringify({ id: '1' }));
      await waitFor('handled', () => handled.includes('retry:1'), { timeout: 20_000 });
    } finally {
      await app.close();
    }
  });

  it('refuses, naming the handler or stream and the known connections, a connection that is not declared', async () => {
    const strategy = new JetStreamServer({ connection: { servers: a.server.url }, connections: { eu: { connection: { servers: b.server.url } } } });
    const app = await NestFactory.createMicroservice(MoonModule, { strategy, logger: false });
    const listening = app.listen();
    await expect(listening).rejects.toThrow(UnknownConnectionError);
    await expect(listening).rejects.toThrow(
      `@JetStreamEvent('moon.rise') on MoonController.onMoon names connection "moon", which is not declared; the known connections are "default", "eu".`,
    );
    await app.close().catch(() => undefined);
    const cronApp = await NestFactory.createMicroservice(EuCronModule, {
      strategy: new JetStreamServer({ connection: { servers: a.server.url }, connections: { eu: { connection: { servers: b.server.url } } } }),
      logger: false,
    });
    await expect(cronApp.listen()).rejects.toThrow(/@JetStreamCron\('ncxcron.tick'\) names connection "eu": cron jobs run on the default connection only/);
    await cronApp.close().catch(() => undefined);
    expect(() => new JetStreamServer({ streams: [{ name: 'MOON', subjects: ['moon.>'], connection: 'moon' }] })).toThrow(
      'streams["MOON"] names connection "moon", which is not declared; the known connections are "default".',
    );
  });
});
