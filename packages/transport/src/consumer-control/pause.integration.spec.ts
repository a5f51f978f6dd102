import { Controller, Module } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Registry } from 'prom-client';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { ConsumerFeatureUnsupportedError } from '../errors/consumer-feature.error.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { JetStreamMetrics } from '../metrics/jetstream.metrics.js';
import { versionAtLeast } from '../utils/server-version.js';
import { CONSUMER_FEATURES } from '../delivery/consumer-features.js';
import { PAUSED_UNTIL_RESUMED } from './jetstream-consumers.js';

// Pausing a handler's consumer from code: the server stops delivering, the pause outlives the
// app, readiness and metrics say "paused" instead of "lagging", and resume() delivers the backlog.

const handled: number[] = [];

@Controller()
class PausableController {
  @JetStreamEvent('pausable.work')
  work(@Payload() data: { n: number }) {
    handled.push(data.n);
  }

  @JetStreamEvent('pausable.each', { mode: 'broadcast' })
  each() {}
}

@Module({ controllers: [PausableController] })
class PausableModule {}

describe('pause and resume a handler’s consumer (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('PAUSABLE');
  const options = () => ({
    serviceName: 'pause-spec',
    streams: [{ name: stream, subjects: ['pausable.>'] }],
    // More than one message pending would make readiness fail for a consumer that is not paused.
    health: { maxPending: 1 },
  });
  const durable = 'pause-spec__pausable_work';

  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('pauses, stays paused across a restart without lagging in readiness or metrics, and resumes (2.11+); older servers get a clear error', async () => {
    const { strategy } = await h.app(PausableModule, options());
    const version = h.nc.info!.version;
    if (!versionAtLeast(version, CONSUMER_FEATURES.pause.minServer)) {
      const refused = strategy.consumers.pause('pausable.work');
      await expect(refused).rejects.toThrow(ConsumerFeatureUnsupportedError);
      await expect(refused).rejects.toThrow(`arrived in nats-server 2.11.0; the connected server is ${version}`);
      return;
    }
    const paused = await strategy.consumers.pause('pausable.work');
    expect(paused).toMatchObject({ subject: 'pausable.work', stream, consumer: durable, paused: true, pausedUntil: PAUSED_UNTIL_RESUMED });
    for (let n = 1; n <= 3; n++) await h.js.publish('pausable.work', JSON.stringify({ n }));
    // The server holds them: all three pending, none delivered.
    await waitFor('the three messages pending on the paused consumer', async () => (await h.jsm.consumers.info(stream, durable)).num_pending === 3);
    expect((await h.jsm.consumers.info(stream, durable)).num_ack_pending).toBe(0);

    const check = (await strategy.health.readiness()).checks.find((c) => c.name === 'jetstream.consumers')!;
    expect(check.status).toBe('up');
    expect(check.details[`${stream}/${durable}`]).toMatchObject({ paused: true, pending: 3 });
    const registry = new Registry();
    const metrics = new JetStreamMetrics({ registry, pollInterval: '1h' });
    const target = {
      role: 'server',
      serviceName: 'pause-spec',
      connection: h.nc,
      jsm: h.jsm,
      handlers: [{ subject: 'pausable.work', stream, durable }],
      streams: [],
      status: strategy.status,
      on: () => undefined,
    } as const;
    metrics.attach(target);
    await metrics.pollNow();
    metrics.detach(target);
    expect((await registry.getSingleMetric('nest_jetstream_consumer_paused')!.get()).values).toEqual([
      expect.objectContaining({ value: 1, labels: { stream, consumer: durable, connection: 'default' } }),
    ]);

    // A restart (even with another setting of the consumer changed) keeps the pause: it is the server's.
    await h.closeApps();
    const { strategy: restarted } = await h.app(PausableModule, { ...options(), consumerDefaults: { maxAckPending: 77 } });
    expect((await h.jsm.consumers.info(stream, durable)).config.max_ack_pending).toBe(77);
    expect(await restarted.consumers.pauseState('pausable.work')).toMatchObject({ paused: true, pausedUntil: PAUSED_UNTIL_RESUMED });
    expect((await h.jsm.consumers.info(stream, durable)).num_pending).toBe(3);
    expect(handled).toEqual([]);

    expect(await restarted.consumers.resume('pausable.work')).toMatchObject({ paused: false });
    await waitFor('the backlog handled after resume', () => handled.length === 3, { timeout: 15_000 });
    expect([...handled].sort()).toEqual([1, 2, 3]);
    expect(await restarted.consumers.pauseState('pausable.work')).toEqual({ subject: 'pausable.work', stream, consumer: durable, paused: false });

    // A pause with an end: the server resumes it by itself.
    const until = new Date(Date.now() + 1500);
    expect((await restarted.consumers.pause('pausable.work', { until })).pausedUntil?.getTime()).toBe(until.getTime());
    await h.js.publish('pausable.work', JSON.stringify({ n: 4 }));
    await waitFor('the message handled once the pause ran out', () => handled.includes(4), { timeout: 15_000 });
    expect(Date.now()).toBeGreaterThanOrEqual(until.getTime());
  });

  it('names the handler and the reason when a pause cannot apply', async () => {
    const { strategy } = await h.app(PausableModule, options());
    await expect(strategy.consumers.pause('nobody.here')).rejects.toThrow(
      'JetStreamServer.consumers.pause("nobody.here"): no handler is bound to "nobody.here"; the handlers are "pausable.work", "pausable.each".',
    );
    await expect(strategy.consumers.pause('pausable.each')).rejects.toThrow(JetStreamConfigError);
    await expect(strategy.consumers.pause('pausable.each')).rejects.toThrow("mode 'broadcast' has a consumer per instance");
    await expect(strategy.consumers.pause('pausable.work', { until: new Date(0) })).rejects.toThrow('until must be a date in the future');
  });
});
