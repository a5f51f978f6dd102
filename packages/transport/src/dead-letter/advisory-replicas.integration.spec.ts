import 'reflect-metadata';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Controller, Module, type INestMicroservice, type LoggerService, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NatsCluster, waitFor } from '@nest-jetstream/testing';
import { WarningLog } from '../__fixtures__/harness.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import type { DeadLetterEvent, DeadLetterLostEvent } from '../events/settle.events.js';
import type { JetStreamServerOptions } from '../interfaces/jetstream-options.interface.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import { advisoryStreamName } from './advisory-watcher.js';

// The dead-letter safety net survives what the streams it protects survive: its stream gets their
// replicas (3 here), not one. With one replica, the dead-letter stream unavailable and the node
// holding the advisory stream killed, 0 of 20 exhausted messages were ever dead-lettered or reported.

@Controller()
class ReplicatedController {
  @JetStreamEvent('replicated.work', { deadLetter: 'replicateddlq.work' })
  work() {}
}

@Module({ controllers: [ReplicatedController] })
class ReplicatedModule {}

@Controller()
class OutlastController {
  @JetStreamEvent('outlast.work', { maxDeliver: 1, deadLetter: 'outlastdlq.work' })
  fail() {
    throw new Error('always fails');
  }
}

@Module({ controllers: [OutlastController] })
class OutlastModule {}

describe('the dead-letter advisory stream in a 3-node cluster (real nats-servers)', () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;
  const apps: INestMicroservice[] = [];

  beforeAll(async () => {
    cluster = await NatsCluster.start();
    nc = await connect({ servers: cluster.urls, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await nc?.close();
    await cluster?.stop();
  });

  const boot = async (options: JetStreamServerOptions, module: Type<unknown> = ReplicatedModule, logger: LoggerService | false = false) => {
    const strategy = new JetStreamServer({ connection: { servers: cluster.urls, reconnectTimeWait: 250 }, shutdownTimeout: '5s', ...options });
    const app = await NestFactory.createMicroservice(module, { strategy, logger });
    apps.push(app);
    await app.listen();
    return { app, strategy };
  };
  const streams = [
    { name: 'REPLICATED', subjects: ['replicated.>'], replicas: 3 },
    { name: 'REPLICATED_DLQ', subjects: ['replicateddlq.>'], replicas: 3 },
  ];

  it('has the replicas of the streams it protects, and raises an existing R1 one to them', async () => {
    const stream = advisoryStreamName('replicated');
    // An advisory stream from before this fix: one replica.
    await jsm.streams.add({
      name: stream,
      subjects: ['$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.REPLICATED.replicated__replicated_work'],
      retention: 'workqueue' as never,
      num_replicas: 1,
    });
    await boot({ serviceName: 'replicated', streams });
    expect((await jsm.streams.info(stream)).config.num_replicas).toBe(3);
  });

  it('takes the replicas the app sets', async () => {
    await boot({ serviceName: 'replicated2', streams, deadLetterAdvisories: { replicas: 1 } });
    expect((await jsm.streams.info(advisoryStreamName('replicated2'))).config.num_replicas).toBe(1);
  });

  it('in verify, boots on an existing one with fewer replicas and warns, naming it and the fix', async () => {
    const first = await boot({ serviceName: 'replicated3', streams, deadLetterAdvisories: { replicas: 1 } });
    await first.app.close();
    const log = new WarningLog();
    await boot({ serviceName: 'replicated3', streams, provisioning: 'verify' }, ReplicatedModule, log);
    const stream = advisoryStreamName('replicated3');
    expect((await jsm.streams.info(stream)).config.num_replicas).toBe(1);
    expect(log.warnings.filter((w) => w.includes(stream))).toEqual([
      expect.stringMatching(
        /has 1 replica\(s\), fewer than the 3 of the streams it protects \(provisioning 'verify'.*--replicas 3.*deadLetterAdvisories: \{ replicas: 1 \}/,
      ),
    ]);
  });

  it('with the dead-letter stream gone and the advisory stream leader killed: every exhausted message is reported, then dead-lettered once the stream is back', async () => {
    const source = { name: 'OUTLAST', subjects: ['outlast.>'], replicas: 3 };
    const dlq = { name: 'OUTLAST_DLQ', subjects: ['outlastdlq.>'], replicas: 3 };
    const { strategy } = await boot({ serviceName: 'outlast', streams: [source, dlq], consumerDefaults: { backoff: ['50ms'] } }, OutlastModule);
    const lost: DeadLetterLostEvent[] = [];
    const dead: DeadLetterEvent[] = [];
    strategy.on('deadLetterLost', (e) => lost.push(e));
    strategy.on('deadLetter', (e) => dead.push(e));
    const advisories = advisoryStreamName('outlast');
    expect((await jsm.streams.info(advisories)).config.num_replicas).toBe(3);

    // The dead-letter stream is unavailable, and the node holding the advisory stream dies.
    await jsm.streams.delete(dlq.name);
    const killed = await cluster.streamLeader(advisories);
    await killed.kill();
    await cluster.streamLeader(advisories);

    const seqs: number[] = [];
    for (let i = 0; i < 20; i++) {
      // The killed node may have led the source stream too: publish through its election, deduplicated.
      const ack = await waitFor(`publish ${i}`, () => js.publish('outlast.work', '{}', { msgID: `outlast-${i}` }).catch(() => undefined), {
        timeout: 30_000,
        interval: 250,
      });
      seqs.push(ack.seq);
    }
    // Neither dead-lettered nor kept in delivery: each is reported, none silently stranded.
    await waitFor('a deadLetterLost report for each of the 20', () => seqs.every((seq) => lost.some((e) => e.streamSequence === seq)), { timeout: 60_000 });
    expect(lost.find((e) => e.streamSequence === seqs[0])).toMatchObject({
      stream: 'OUTLAST',
      advisory: 'last_delivery',
      why: expect.stringMatching(/advisory safety net may still dead-letter it/),
    });
    expect(dead).toEqual([]);

    // The node and the dead-letter stream come back: the advisory path dead-letters all 20.
    await killed.restart();
    await cluster.waitForPeers();
    await waitFor(
      'the dead-letter stream to be created again',
      () => jsm.streams.add({ name: dlq.name, subjects: dlq.subjects, num_replicas: 3 }).catch(() => undefined),
      { timeout: 30_000, interval: 500 },
    );
    await waitFor('all 20 dead-lettered by the advisory path', () => seqs.every((seq) => dead.some((e) => e.streamSequence === seq && e.via === 'advisory')), {
      timeout: 60_000,
    });
    // One dead letter per message.
    await waitFor('the dead-letter stream to hold one per message', async () => (await jsm.streams.info(dlq.name)).state.messages === seqs.length);
  }, 180_000);
});
