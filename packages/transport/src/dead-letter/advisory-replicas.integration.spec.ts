import 'reflect-metadata';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NatsCluster } from '@nest-jetstream/testing';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import type { JetStreamServerOptions } from '../interfaces/jetstream-options.interface.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import { advisoryStreamName } from './advisory-watcher.js';

// The dead-letter safety net survives what the streams it protects survive: its stream gets their
// replicas (3 here), not one.

@Controller()
class ReplicatedController {
  @JetStreamEvent('replicated.work', { deadLetter: 'replicateddlq.work' })
  work() {}
}

@Module({ controllers: [ReplicatedController] })
class ReplicatedModule {}

describe('the dead-letter advisory stream in a 3-node cluster (real nats-servers)', () => {
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

  const boot = async (options: JetStreamServerOptions) => {
    const strategy = new JetStreamServer({ connection: { servers: cluster.urls }, ...options });
    const app = await NestFactory.createMicroservice(ReplicatedModule, { strategy, logger: false });
    apps.push(app);
    await app.listen();
  };
  const streams = [
    { name: 'REPLICATED', subjects: ['replicated.>'], replicas: 3 },
    { name: 'REPLICATED_DLQ', subjects: ['replicateddlq.>'], replicas: 3 },
  ];

  it('has the replicas of the streams it protects, and raises an existing R1 one to them', async () => {
    const stream = advisoryStreamName('replicated');
    // An advisory stream from before this fix: one replica.
    await jsm.streams.add({ name: stream, subjects: ['$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.REPLICATED.replicated__replicated_work'], retention: 'workqueue' as never, num_replicas: 1 });
    await boot({ serviceName: 'replicated', streams });
    expect((await jsm.streams.info(stream)).config.num_replicas).toBe(3);
  });

  it('takes the replicas the app sets', async () => {
    await boot({ serviceName: 'replicated2', streams, deadLetterAdvisories: { replicas: 1 } });
    expect((await jsm.streams.info(advisoryStreamName('replicated2'))).config.num_replicas).toBe(1);
  });
});
