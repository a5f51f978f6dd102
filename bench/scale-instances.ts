// Broadcast and ordered handlers against the number of instances: each instance holds a consumer
// of its own on the server, so consumers grow with instances. K Nest apps in this process, each
// with its own connection, as K replicas would be.
import { AckPolicy, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { NatsServer, resolveNatsServerBinary } from '@nest-jetstream/testing';
import { Controller, Module, type INestMicroservice, type Type } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { JetStreamEvent, type JetStreamEventMode } from '@nest-jetstream/transport';
import { startOurs } from './scale-apps.js';
import { fixed, percentile, QUICK, table, until } from './scale-lib.js';

const STREAM = 'SCALE_FAN';
const SUBJECT = 'scale.fan';
let deliveries = 0;
/** When `deliveries` reached `target`: timed in the handler, not by the poll that waits for it. */
let target = Infinity;
let reachedAt = 0;

function fanModule(mode: JetStreamEventMode): Type<unknown> {
  @Controller()
  class FanController {
    @JetStreamEvent(SUBJECT, { mode })
    handle(@Payload() _data: Uint8Array) {
      if (++deliveries === target) reachedAt = performance.now();
    }
  }
  @Module({ controllers: [FanController] })
  class FanModule {}
  return FanModule;
}

const consumersOn = async (jsm: JetStreamManager) => (await jsm.streams.info(STREAM)).state.consumer_count;

async function point(
  url: string,
  nc: NatsConnection,
  jsm: JetStreamManager,
  mode: JetStreamEventMode,
  instances: number,
  messages: number,
): Promise<(string | number)[]> {
  const module = fanModule(mode);
  const apps: INestMicroservice[] = [];
  const bootStarted = performance.now();
  try {
    for (let i = 0; i < instances; i++) apps.push(await startOurs(url, module));
    const bootMs = performance.now() - bootStarted;
    const consumers = await consumersOn(jsm);
    // Fan-out latency: one message, until every instance handled it.
    const latencies: number[] = [];
    for (let k = 0; k < (QUICK ? 10 : 30); k++) {
      deliveries = 0;
      target = instances;
      const sent = performance.now();
      nc.publish(SUBJECT, new Uint8Array(64));
      await until(`one message handled by ${instances} ${mode} instances`, () => deliveries >= instances);
      latencies.push(reachedAt - sent);
    }
    // Throughput: `messages` published at once, deliveries per second across all instances.
    deliveries = 0;
    target = messages * instances;
    const started = performance.now();
    const body = new Uint8Array(256);
    for (let m = 0; m < messages; m++) {
      nc.publish(SUBJECT, body);
      if (m % 1000 === 999) await nc.flush();
    }
    await until(`${messages} messages handled by each of ${instances} ${mode} instances`, () => deliveries >= messages * instances, 300_000);
    const rate = ((messages * instances) / (reachedAt - started)) * 1000;
    return [mode, instances, consumers, fixed(bootMs / instances), fixed(percentile(latencies, 50), 1), fixed(percentile(latencies, 100), 1), fixed(rate)];
  } finally {
    for (const app of apps) await app.close();
    await until(`the ${mode} consumers deleted after a clean stop`, async () => (await consumersOn(jsm)) === 0, 30_000);
  }
}

/**
 * How many consumers one stream takes on a fresh single server of each version: durables added
 * until the server refuses one, or `cap`. Each broadcast or ordered instance holds one per handler.
 */
async function capacity(cap: number): Promise<string> {
  const rows: (string | number)[][] = [];
  for (const label of ['newest', 'oldest'] as const) {
    const server = await NatsServer.start({ binary: resolveNatsServerBinary({ NATS_SERVER_VERSION: label }) });
    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'SCALE_CAP', subjects: ['scale.cap'] });
      let added = 0;
      let refusal = `none up to ${cap}`;
      const started = performance.now();
      try {
        for (; added < cap; added++)
          await jsm.consumers.add('SCALE_CAP', { durable_name: `c${added}`, ack_policy: AckPolicy.Explicit, inactive_threshold: 60_000_000_000 });
      } catch (err) {
        refusal = err instanceof Error ? err.message : String(err);
      }
      rows.push([server.version, added, refusal, fixed((performance.now() - started) / Math.max(1, added), 2)]);
    } finally {
      await nc.close();
      await server.stop();
    }
  }
  return table(
    'Consumers one stream holds (durables added on a fresh single server until refused)',
    ['nats-server', 'consumers added', 'refusal', 'ms per consumer add'],
    rows,
    [
      'nats-server 2.15 caps the consumers of a stream without its own `max_consumers` (and of an account without a consumer limit) at `default_max_consumers` (the NATS docs: "Available since NATS Server 2.15"; set -1 for the unlimited pre-2.15 behaviour). Every broadcast or ordered instance holds one consumer per handler on the stream, and every shared handler one durable: with the default, 1,000 in all per stream.',
    ],
  );
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
  const held = await capacity(QUICK ? 1_500 : 3_000);
  return (
    held +
    '\n' +
    table(
      `Broadcast and ordered handlers against instances (one handler per instance, ${messages} messages of 256 B fanned out to every instance)`,
      ['mode', 'instances', 'consumers on the server', 'boot ms per instance', 'fan-out p50 ms', 'fan-out max ms', 'deliveries/s (all instances)'],
      rows,
      [
        'All instances run in this one process (one Node thread shares the deliveries), so deliveries/s is a floor for separate processes. "fan-out": one message published until every instance handled it. A clean stop deletes each instance\'s consumer; the bench waits for the count to return to 0.',
      ],
    )
  );
}
