// Broadcast and ordered handlers against the number of instances: each instance holds a consumer
// of its own on the server, so consumers grow with instances. K Nest apps in this process, each
// with its own connection, as K replicas would be.
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Controller, Module, type INestMicroservice, type Type } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { JetStreamEvent, type JetStreamEventMode } from '@nest-jetstream/transport';
import { startOurs } from './scale-apps.js';
import { fixed, percentile, QUICK, table, until } from './scale-lib.js';

const STREAM = 'SCALE_FAN';
const SUBJECT = 'scale.fan';
let deliveries = 0;

function fanModule(mode: JetStreamEventMode): Type<unknown> {
  @Controller()
  class FanController {
    @JetStreamEvent(SUBJECT, { mode })
    handle(@Payload() _data: Uint8Array) {
      deliveries++;
    }
  }
  @Module({ controllers: [FanController] })
  class FanModule {}
  return FanModule;
}

const consumersOn = async (jsm: JetStreamManager) => (await jsm.streams.info(STREAM)).state.consumer_count;

async function point(url: string, nc: NatsConnection, jsm: JetStreamManager, mode: JetStreamEventMode, instances: number, messages: number): Promise<(string | number)[]> {
  const module = fanModule(mode);
  const apps: INestMicroservice[] = [];
  const memBefore = process.memoryUsage.rss();
  const bootStarted = performance.now();
  try {
    for (let i = 0; i < instances; i++) apps.push(await startOurs(url, module));
    const bootMs = performance.now() - bootStarted;
    const rssPerInstance = (process.memoryUsage.rss() - memBefore) / instances / 2 ** 20;
    const consumers = await consumersOn(jsm);
    // Fan-out latency: one message, until every instance handled it.
    const latencies: number[] = [];
    for (let k = 0; k < (QUICK ? 10 : 30); k++) {
      deliveries = 0;
      const sent = performance.now();
      nc.publish(SUBJECT, new Uint8Array(64));
      await until(`one message handled by ${instances} ${mode} instances`, () => deliveries >= instances);
      latencies.push(performance.now() - sent);
    }
    // Throughput: `messages` published at once, deliveries per second across all instances.
    deliveries = 0;
    const started = performance.now();
    const body = new Uint8Array(256);
    for (let m = 0; m < messages; m++) {
      nc.publish(SUBJECT, body);
      if (m % 1000 === 999) await nc.flush();
    }
    await until(`${messages} messages handled by each of ${instances} ${mode} instances`, () => deliveries >= messages * instances, 300_000);
    const rate = ((messages * instances) / (performance.now() - started)) * 1000;
    return [mode, instances, consumers, fixed(bootMs / instances), fixed(rssPerInstance, 1), fixed(percentile(latencies, 50), 1), fixed(percentile(latencies, 100), 1), fixed(rate)];
  } finally {
    for (const app of apps) await app.close();
    await until(`the ${mode} consumers deleted after a clean stop`, async () => (await consumersOn(jsm)) === 0, 30_000);
  }
}

export async function instancesCurve(url: string, nc: NatsConnection, jsm: JetStreamManager): Promise<string> {
  const counts = QUICK ? [1, 5, 20] : [1, 5, 20, 50];
  const messages = QUICK ? 2_000 : 10_000;
  await jsm.streams.add({ name: STREAM, subjects: [SUBJECT] });
  const rows: (string | number)[][] = [];
  try {
    for (const mode of ['broadcast', 'ordered'] as const) for (const k of counts) rows.push(await point(url, nc, jsm, mode, k, messages));
  } finally {
    await jsm.streams.delete(STREAM);
  }
  return table(
    `Broadcast and ordered handlers against instances (one handler per instance, ${messages} messages of 256 B fanned out to every instance)`,
    ['mode', 'instances', 'consumers on the server', 'boot ms per instance', 'RSS MB per instance', 'fan-out p50 ms', 'fan-out max ms', 'deliveries/s (all instances)'],
    rows,
    [
      'All instances run in this one process (one Node thread shares the deliveries), so deliveries/s is a floor for separate processes. "fan-out": one message published until every instance handled it. A clean stop deletes each instance\'s consumer; the bench waits for the count to return to 0.',
    ],
  );
}
