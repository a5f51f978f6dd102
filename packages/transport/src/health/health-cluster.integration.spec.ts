import 'reflect-metadata';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { NatsCluster, waitFor, type NatsServer } from '@nest-jetstream/testing';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import { JetStreamHealthIndicator } from '../terminus/jetstream-health.indicator.js';
import { Registry } from 'prom-client';
import { JetStreamMetrics } from '../metrics/jetstream.metrics.js';

// The leader signal on a 3-node cluster, read through @nestjs/terminus over HTTP the way a
// Kubernetes probe reads it: the stream leader killed makes readiness 503 until a new leader is
// elected; liveness stays 200 throughout.

const strategyRef: { server?: JetStreamServer } = {};
const registry = new Registry();

@Controller()
class ClusterEvents {
  @JetStreamEvent('cluster.work')
  work() {}
}

@Controller('health')
class ProbeController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly jetstream: JetStreamHealthIndicator,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.jetstream.isLive('jetstream', strategyRef.server!.health)]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.jetstream.isReady('jetstream', strategyRef.server!.health)]);
  }
}

@Module({ imports: [TerminusModule], controllers: [ClusterEvents, ProbeController], providers: [JetStreamHealthIndicator] })
class ClusterAppModule {}

describe('the leader signal on a 3-node cluster, through terminus over HTTP (real nats-servers)', () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let app: INestApplication;
  let base = '';

  beforeAll(async () => {
    cluster = await NatsCluster.start();
    nc = await connect({ servers: cluster.urls });
    jsm = await jetstreamManager(nc);
    strategyRef.server = new JetStreamServer({
      connection: { servers: cluster.urls },
      serviceName: 'clustered',
      streams: [{ name: 'CLUSTERED', subjects: ['cluster.>'], replicas: 3 }],
      health: { cacheTtl: 0, timeout: '1s' },
      metrics: new JetStreamMetrics({ registry, pollInterval: '1h' }),
    });
    app = await NestFactory.create(ClusterAppModule, { logger: false });
    app.connectMicroservice({ strategy: strategyRef.server });
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await nc?.close();
    await cluster?.stop();
  });

  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, body: (await res.json()) as { details?: { jetstream?: { checks?: Record<string, { status: string; message?: string }> } } } };
  };

  it('is 200 when healthy, 503 naming the leaderless stream while its leader is gone, 200 after the election', async () => {
    await waitFor('ready', async () => (await get('/health/ready')).status === 200, { timeout: 30_000 });
    const leaderName = (await jsm.streams.info('CLUSTERED')).cluster?.leader;
    const leader = cluster.servers.find((s: NatsServer) => s.serverName === leaderName)!;
    expect(leader).toBeDefined();
    await leader.kill();
    const down = await waitFor(
      'readiness 503 for the leader',
      async () => {
        const r = await get('/health/ready');
        return r.status === 503 && r.body.details?.jetstream?.checks?.['jetstream.leaders']?.status === 'down' ? r : undefined;
      },
      { timeout: 30_000 },
    );
    expect(down.body.details?.jetstream?.checks?.['jetstream.leaders']?.message).toMatch(/stream CLUSTERED (has no leader|: replica)/);
    expect((await get('/health/live')).status).toBe(200);
    await leader.launch();
    await cluster.waitForPeers();
    await waitFor('readiness 200 after the election and catch-up', async () => (await get('/health/ready')).status === 200, { timeout: 60_000 });
    // The election was counted from the server's LEADER_ELECTED advisory.
    const changes = async () =>
      ((await registry.getSingleMetric('nest_jetstream_leader_changes_total')?.get())?.values ?? [])
        .filter((v) => v.labels.stream === 'CLUSTERED' && v.labels.consumer === '')
        .reduce((n, v) => n + v.value, 0);
    await waitFor('the leader change counted', async () => (await changes()) >= 1);
    // Longer than the waits above put together, so a wait that runs out names itself.
  }, 150_000);
});
