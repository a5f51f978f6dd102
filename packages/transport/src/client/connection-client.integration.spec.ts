import { jetstreamManager, type PubAck } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NatsServer, waitFor } from '@nest-jetstream/testing';
import { Registry } from 'prom-client';
import { lastValueFrom } from 'rxjs';
import { ConnectionUnavailableError, UnknownConnectionError } from '../connections/connection-errors.js';
import { JetStreamMetrics } from '../metrics/jetstream.metrics.js';
import { InjectJetStreamClient, getJetStreamClientToken } from '../module/jetstream-client.tokens.js';
import { JetStreamModule } from '../module/jetstream.module.js';
import { BatchUnsupportedError } from '../publishing/batch-publish.errors.js';
import { ATOMIC_BATCH_MIN_SERVER, FAST_BATCH_MIN_SERVER } from '../utils/batch-limits.js';
import { FastBatchUnsupportedError } from '../publishing/fast-batch.errors.js';
import { versionAtLeast } from '../utils/server-version.js';
import { JetStreamConnectionClient } from './jetstream-connection.client.js';
import { JetStreamClient } from './jetstream.client.js';

@Injectable()
class EuPublisher {
  constructor(
    @InjectJetStreamClient('eu') readonly eu: JetStreamConnectionClient,
    @InjectJetStreamClient() readonly main: JetStreamClient,
  ) {}
}

async function sample(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const base = name.replace(/_count$/, '');
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name || m.name === base);
  const samples = (metric?.values ?? []) as { value: number; labels: Record<string, string | number>; metricName?: string }[];
  return samples.find((v) => (v.metricName ?? metric?.name) === name && Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

/** The error a call fails with (it must fail). */
async function failure(call: () => Promise<unknown>): Promise<Error> {
  try {
    await call();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

describe('a client per named connection (two real nats-servers)', () => {
  let a: NatsServer;
  let b: NatsServer;
  let batches: boolean;
  let fast: boolean;
  const apps: INestApplicationContext[] = [];

  beforeAll(async () => {
    [a, b] = await Promise.all([NatsServer.start(), NatsServer.start()]);
    batches = versionAtLeast(b.version, ATOMIC_BATCH_MIN_SERVER);
    fast = versionAtLeast(b.version, FAST_BATCH_MIN_SERVER);
    const nc = await connect({ servers: b.url });
    await (
      await jetstreamManager(nc)
    ).streams.add({
      name: 'EU',
      subjects: ['eu.>'],
      ...(batches ? { allow_atomic: true } : {}),
      ...(fast ? { allow_batched: true } : {}),
    });
    await nc.close();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('injects the client of "eu": publish, emit, publishBatch and publishFastBatch go through it, fail naming it while it is down, work after; metrics say "eu"', async () => {
    const registry = new Registry();
    @Module({
      imports: [
        JetStreamModule.forRoot({
          connection: { servers: a.url },
          connections: { eu: { connection: { servers: b.url }, critical: false } },
          metrics: new JetStreamMetrics({ registry }),
        }),
      ],
      providers: [EuPublisher],
    })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    apps.push(app);
    const { eu, main } = app.get(EuPublisher);
    expect(main).toBe(app.get(JetStreamClient));
    expect(eu.connection).toBe('eu');
    await main.connect();
    await waitFor('"eu" up', () => eu.report().state === 'up', { timeout: 20_000 });

    expect((await eu.publish('eu.one', { n: 1 })).stream).toBe('EU');
    expect((await lastValueFrom(eu.emit('eu.two', { n: 2 }))).stream).toBe('EU');
    const batch = () =>
      eu.publishBatch([
        { subject: 'eu.b1', data: 1 },
        { subject: 'eu.b2', data: 2 },
      ]);
    if (batches) expect((await batch()).count).toBe(2);
    // The named connection's own server decides: an old one has no atomic batches.
    else expect(await failure(batch)).toBeInstanceOf(BatchUnsupportedError);
    expect(await sample(registry, 'nest_jetstream_publish_duration_seconds_count', { stream: 'EU', connection: 'eu' })).toBe(batches ? 4 : 2);
    expect(await sample(registry, 'nest_jetstream_connected', { role: 'client', connection: 'eu' })).toBe(1);
    expect(await sample(registry, 'nest_jetstream_connected', { role: 'client', connection: 'default' })).toBe(1);
    const fastBatch = () => eu.publishFastBatch([1, 2, 3].map((n) => ({ subject: 'eu.f', data: n })));
    if (fast) {
      expect(await fastBatch()).toMatchObject({ stream: 'EU', count: 3 });
      expect(await sample(registry, 'nest_jetstream_fast_batches_total', { stream: 'EU', result: 'committed', connection: 'eu' })).toBe(1);
    } else expect(await failure(fastBatch)).toBeInstanceOf(FastBatchUnsupportedError);

    await b.kill();
    await waitFor('"eu" down', () => eu.report().state === 'down', { timeout: 20_000 });
    for (const call of [() => eu.publish('eu.three', {}), () => lastValueFrom(eu.emit('eu.three', {})), batch]) {
      const err = await failure(call);
      expect(err).toBeInstanceOf(ConnectionUnavailableError);
      expect((err as ConnectionUnavailableError).connection).toBe('eu');
      expect(err.message).toMatch(/through connection "eu": it lost its NATS server/);
    }
    expect(await sample(registry, 'nest_jetstream_connected', { role: 'client', connection: 'eu' })).toBe(0);
    expect(await sample(registry, 'nest_jetstream_publish_errors_total', { code: 'CONNECTION', connection: 'eu' })).toBe(3);
    expect(await failure(fastBatch)).toBeInstanceOf(ConnectionUnavailableError);

    await b.restart();
    await waitFor('"eu" up again', () => eu.report().state === 'up', { timeout: 30_000 });
    const ack: PubAck = await eu.publish('eu.four', { n: 4 });
    expect(ack.stream).toBe('EU');
    expect(await sample(registry, 'nest_jetstream_connected', { role: 'client', connection: 'eu' })).toBe(1);
    expect(await sample(registry, 'nest_jetstream_reconnects_total', { role: 'client', connection: 'eu' })).toBeGreaterThanOrEqual(1);
    // Only configured names label the series: an unknown one is refused before anything is sent.
    await expect(main.publish('eu.x', {}, { connection: 'us' })).rejects.toThrow(UnknownConnectionError);
  });

  it('forFeature provides a connection client under forRootAsync (isGlobal); an undeclared name fails the boot, naming it', async () => {
    const root = JetStreamModule.forRootAsync({
      isGlobal: true,
      useFactory: () => ({ connection: { servers: a.url }, connections: { eu: { connection: { servers: b.url } } } }),
    });
    @Module({ imports: [root, JetStreamModule.forFeature({ connection: 'eu' })] })
    class AsyncModule {}
    const app = await NestFactory.createApplicationContext(AsyncModule, { logger: false });
    apps.push(app);
    const eu = app.get<JetStreamConnectionClient>(getJetStreamClientToken('eu'));
    expect(eu).toBeInstanceOf(JetStreamConnectionClient);
    await eu.connect();
    expect((await eu.publish('eu.async', {})).stream).toBe('EU');

    @Module({ imports: [root, JetStreamModule.forFeature({ connection: 'us' })] })
    class WrongModule {}
    await expect(NestFactory.createApplicationContext(WrongModule, { logger: false, abortOnError: false })).rejects.toThrow(
      /forConnection\("us"\) names connection "us", which is not declared; the known connections are "default", "eu"/,
    );
  });
});
