// The delivery modes beside raw @nats-io/jetstream doing the same, same server, same run:
// 'ordered' (the client's ordered consumer) and 'push' (a durable push consumer with a queue group).
//   npm run bench:modes      (100k messages of 1 KiB, 6 rounds; BENCH_MESSAGES / BENCH_ROUNDS to change)
// Drains are timed from the first message handled to the last. Not a test: nothing passes or fails on speed.
import 'reflect-metadata';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient as RawJs, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Controller, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { NatsServer } from '@nest-jetstream/testing';
import { JetStreamEvent, JetStreamServer, RawCodec } from '@nest-jetstream/transport';
import { countedDrain, fill, machineLine, measured, N, printTable, progress, ROUNDS, runRound, SIZE, type Measure } from './lib.js';
import { ACK_PENDING } from './nest-drain.js';

let drained = 0;
let firstAt = 0;
let firstCpu: NodeJS.CpuUsage | undefined;
let onDrained: (() => void) | undefined;
function count(): void {
  if (drained === 0) {
    firstAt = performance.now();
    firstCpu = process.cpuUsage();
  }
  if (++drained === N) onDrained?.();
}

@Controller()
class OrderedBench {
  @JetStreamEvent('bench.drain', { mode: 'ordered', durable: 'ours_ordered', deliverPolicy: 'all', prefetch: 1000 })
  handle(@Payload() _data: Uint8Array) {
    count();
  }
}
@Module({ controllers: [OrderedBench] })
class OrderedModule {}

@Controller()
class PushBench {
  @JetStreamEvent('bench.drain', { mode: 'push', durable: 'ours_push', concurrency: 100, maxAckPending: ACK_PENDING })
  handle(@Payload() _data: Uint8Array) {
    count();
  }
}
@Module({ controllers: [PushBench] })
class PushModule {}

async function ours(url: string, module: Type<unknown>, cleanup: () => Promise<unknown>): Promise<Measure> {
  drained = 0;
  const done = new Promise<void>((resolve) => (onDrained = resolve));
  const strategy = new JetStreamServer({ connection: { servers: url }, serviceName: 'bench', codec: new RawCodec() });
  const app = await NestFactory.createMicroservice(module, { strategy, logger: ['error'] });
  await app.listen();
  await done;
  const result = measured(N, performance.now() - firstAt, firstCpu ?? process.cpuUsage());
  await app.close();
  await cleanup();
  return result;
}

const rawOrdered = (js: RawJs) =>
  countedDrain(async (callback) => {
    const c = await js.consumers.get('DRAIN', { filter_subjects: 'bench.drain', deliver_policy: DeliverPolicy.All });
    return c.consume({ max_messages: 1000, callback });
  }, false);

const rawPush = async (js: RawJs, jsm: JetStreamManager) => {
  await jsm.consumers.add('DRAIN', {
    durable_name: 'raw_push',
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: ACK_PENDING,
    filter_subject: 'bench.drain',
    deliver_subject: '_PUSH.raw',
    deliver_group: 'raw_push',
  });
  const result = await countedDrain(async (callback) => (await js.consumers.getPushConsumer('DRAIN', 'raw_push')).consume({ callback }), true);
  await jsm.consumers.delete('DRAIN', 'raw_push');
  return result;
};

async function main(): Promise<void> {
  const server = await NatsServer.start();
  const nc = await connect({ servers: server.url });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'DRAIN', subjects: ['bench.drain'] });
  await fill(nc, jsm);
  const phases = {
    'raw ordered': () => rawOrdered(js),
    'ours ordered': () => ours(server.url, OrderedModule, () => Promise.resolve()),
    'raw push': () => rawPush(js, jsm),
    'ours push': () => ours(server.url, PushModule, () => jsm.consumers.delete('DRAIN', 'ours_push')),
  };
  for (const p of Object.values(phases)) await p();
  progress('warmed up');
  const rows: string[][] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const m = await runRound(round, 'drain', phases, () => Promise.resolve());
    const ratio = (a: Measure, b: Measure) => (a.rate / b.rate).toFixed(2);
    rows.push([
      `${round}`,
      m['raw ordered'].rate.toFixed(0),
      m['ours ordered'].rate.toFixed(0),
      ratio(m['ours ordered'], m['raw ordered']),
      m['raw push'].rate.toFixed(0),
      m['ours push'].rate.toFixed(0),
      ratio(m['ours push'], m['raw push']),
    ]);
  }
  console.log(`nest-jetstream delivery-modes bench: ${N} messages of ${SIZE} B, ${ROUNDS} rounds, nats-server ${server.version}`);
  console.log(machineLine());
  printTable(
    'Drain (msgs/s; ratio to raw doing the same)',
    ['round', 'raw ordered', 'ours ordered', 'ratio ordered', 'raw push', 'ours push', 'ratio push'],
    rows,
  );
  await nc.close();
  await server.stop();
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
