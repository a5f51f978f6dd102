import 'reflect-metadata';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx } from '@nestjs/microservices';
import { NatsCluster, natsServerBinaryVersion, resolveNatsServerBinary, waitFor } from '@nest-jetstream/testing';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import { versionAtLeast } from '../utils/server-version.js';
import { JetStreamCron } from './jetstream-cron.decorator.js';
import { cronScheduleSubject, RECURRING_SCHEDULES_MIN_SERVER } from './cron-schedule.js';

// A cron job on an R3 stream in a 3-node cluster, its two replicas connected to different nodes:
// one schedule, each tick handled once. (On servers without recurring schedules the boot error is
// the boot error, here in the cluster too.)
const version = natsServerBinaryVersion(resolveNatsServerBinary());
const seen: { seq: number; delivery: number }[] = [];

@Controller()
class ClusterCronController {
  @JetStreamCron('clustercron.tick', '@every 1s')
  tick(_data: unknown, @Ctx() ctx: JetStreamContext) {
    const { streamSequence: seq, deliveryCount: delivery } = ctx.getInfo();
    seen.push({ seq, delivery });
  }
}

@Module({ controllers: [ClusterCronController] })
class ClusterCronModule {}

describe(`durable cron in a 3-node cluster (nats-server ${version})`, () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const apps: INestMicroservice[] = [];

  beforeAll(async () => {
    cluster = await NatsCluster.start();
    nc = await connect({ servers: cluster.urls });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await nc?.close();
    await cluster?.stop();
  });

  const streams = [{ name: 'CLUSTERCRON', subjects: ['clustercron.>'], replicas: 3, allowMsgSchedules: true }];
  const boot = async (url: string) => {
    const strategy = new JetStreamServer({ connection: { servers: [url] }, serviceName: 'clustercron', streams, shutdownTimeout: '5s' });
    const app = await NestFactory.createMicroservice(ClusterCronModule, { strategy, logger: false });
    apps.push(app);
    await app.listen();
  };

  if (!versionAtLeast(version, RECURRING_SCHEDULES_MIN_SERVER)) {
    it('refuses to boot, naming the version needed', async () => {
      await expect(boot(cluster.urls[0])).rejects.toThrow(`Upgrade nats-server to ${RECURRING_SCHEDULES_MIN_SERVER} or newer`);
    });
    return;
  }

  it('two replicas on different nodes share one schedule on an R3 stream; every tick is handled once', async () => {
    for (const url of cluster.urls.slice(0, 2)) await boot(url);
    const scheduleSubject = cronScheduleSubject('CLUSTERCRON', 'clustercron', 'clustercron.tick');
    expect((await jsm.streams.info('CLUSTERCRON', { subjects_filter: scheduleSubject })).state.subjects).toEqual({ [scheduleSubject]: 1 });
    await waitFor('three ticks handled', () => new Set(seen.map((s) => s.seq)).size >= 3, { timeout: 20_000 });
    await Promise.all(apps.splice(0).map((a) => a.close()));
    const first = seen.filter((s) => s.delivery === 1);
    expect(new Set(first.map((s) => s.seq)).size).toBe(first.length);
  });
});
