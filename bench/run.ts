// Throughput of @nest-jetstream/transport beside raw @nats-io/jetstream, same server, same run.
//   npm run bench            (100k messages of 1 KiB, 6 rounds; BENCH_MESSAGES / BENCH_ROUNDS to change)
// Drains are timed from the first message handled to the last, for both. Prints msgs/s and the ratio to raw. Not a test: nothing here passes or fails on speed.
import 'reflect-metadata';
import { cpus, totalmem } from 'node:os';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamClient as RawJs, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { NatsServer } from '@nest-jetstream/testing';
import { JetStreamClient, JetStreamEvent, JetStreamRecord, JetStreamServer, RawCodec } from '@nest-jetstream/transport';

const N = Number(process.env.BENCH_MESSAGES ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const WINDOW = 256;
/** `drain` or `publish` to run one half only. */
const ONLY = process.env.BENCH_ONLY;
const SIZE = 1024;
/** The same max_ack_pending for both consumers. */
const ACK_PENDING = Number(process.env.BENCH_ACK_PENDING ?? 10_000);
const payload = new Uint8Array(SIZE).fill(120);

let drained = 0;
let firstAt = 0;
let firstCpu: NodeJS.CpuUsage | undefined;
let onDrained: (() => void) | undefined;

@Controller()
class BenchController {
  @JetStreamEvent('bench.drain', { durable: 'ours', concurrency: 100, maxAckPending: ACK_PENDING })
  handle(@Payload() _data: Uint8Array) {
    if (drained === 0) {
      firstAt = performance.now();
      firstCpu = process.cpuUsage();
    }
    if (++drained === N) onDrained?.();
  }
}

@Module({ controllers: [BenchController] })
class BenchModule {}

async function fill(nc: NatsConnection, jsm: JetStreamManager): Promise<void> {
  await jsm.streams.purge('DRAIN');
  for (let i = 0; i < N; i++) {
    nc.publish('bench.drain', payload);
    if (i % 5000 === 0) await nc.flush();
  }
  await nc.flush();
  while ((await jsm.streams.info('DRAIN')).state.messages < N) await new Promise((r) => setTimeout(r, 50));
}

/** Node CPU (user + system) per message, in µs, for the drain just measured. */
const cpuPerMsg: Record<'raw' | 'ours' | 'pipeline', number> = { raw: NaN, ours: NaN, pipeline: NaN };
function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / N;
}

async function rawDrain(js: RawJs, jsm: JetStreamManager): Promise<number> {
  // The same consumer config as ours: filter_subject included (it changes the server's delivery path).
  await jsm.consumers.add('DRAIN', { durable_name: 'raw', ack_policy: AckPolicy.Explicit, max_ack_pending: ACK_PENDING, filter_subject: 'bench.drain' });
  const consumer = await js.consumers.get('DRAIN', 'raw');
  let n = 0;
  let started = 0;
  let cpu = process.cpuUsage();
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const messages = await consumer.consume({
    max_messages: 1000,
    callback: (m) => {
      if (n === 0) {
        started = performance.now();
        cpu = process.cpuUsage();
      }
      m.ack();
      if (++n === N) resolveDone();
    },
  });
  await done;
  const ms = performance.now() - started;
  cpuPerMsg.raw = cpuSince(cpu);
  // Stopped before the consumer is deleted: a pull left running would take messages from the
  // next round's consumer of the same name.
  await messages.close();
  await jsm.consumers.delete('DRAIN', 'raw');
  return (N / ms) * 1000;
}

/** Our drain; `directCalls: false` sends the handler through Nest's RPC pipeline (what a handler with any guard, interceptor or pipe pays). */
async function oursDrain(url: string, jsm: JetStreamManager, directCalls: boolean): Promise<number> {
  drained = 0;
  const done = new Promise<void>((resolve) => (onDrained = resolve));
  const strategy = new JetStreamServer({ connection: { servers: url }, codec: new RawCodec(), directCalls });
  const app = await NestFactory.createMicroservice(BenchModule, { strategy, logger: ['error'] });
  await app.listen();
  await done;
  const ms = performance.now() - firstAt;
  cpuPerMsg[directCalls ? 'ours' : 'pipeline'] = cpuSince(firstCpu ?? process.cpuUsage());
  await app.close();
  await jsm.consumers.delete('DRAIN', 'ours');
  return (N / ms) * 1000;
}

/** Node CPU per publish (µs) of the last `window()`. */
let lastPublishCpu = NaN;

/** `n` publishes through `publish`, WINDOW in flight; msgs/s. */
async function window(publish: (i: number) => Promise<unknown>, n = N): Promise<number> {
  let next = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const lane = async () => {
    while (next < n) await publish(next++);
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
  const used = process.cpuUsage(cpu);
  lastPublishCpu = (used.user + used.system) / n;
  return (n / (performance.now() - started)) * 1000;
}

/** Progress on stderr; the tables go to stdout. */
const progress = (line: string) => process.stderr.write(`${line}\n`);

/** Round `round` runs `names` in a rotated order, so each takes each position as often as the rounds allow. */
function rotated<T>(names: T[], round: number): T[] {
  const k = (round - 1) % names.length;
  return [...names.slice(k), ...names.slice(0, k)];
}

function printTable(title: string, head: string[], rows: string[][]): void {
  const ratioColumns = new Set(head.flatMap((h, i) => (h.startsWith('ratio') ? [i] : [])));
  const median = (col: number) => {
    const v = rows.map((r) => Number(r[col])).sort((a, b) => a - b);
    const m = v.length / 2;
    return (v.length % 2 ? v[Math.floor(m)] : (v[m - 1] + v[m]) / 2).toFixed(ratioColumns.has(col) ? 2 : 1);
  };
  console.log(`\n${title}\n`);
  console.log(`| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(`| median | ${head.slice(1).map((_, i) => median(i + 1)).join(' | ')} |`);
}

async function main(): Promise<void> {
  const server = await NatsServer.start();
  const nc = await connect({ servers: server.url });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  // Raw publishes twice: with the client's defaults, and with the connection options our
  // client uses (noAsyncTraces: true), so the ratio measures our layer and nothing else.
  const ncLean = await connect({ servers: server.url, noAsyncTraces: true });
  const jsLean = jetstream(ncLean);
  await jsm.streams.add({ name: 'DRAIN', subjects: ['bench.drain'] });
  await jsm.streams.add({ name: 'PUB', subjects: ['bench.pub'], duplicate_window: 120_000_000_000 });
  const client = new JetStreamClient({ connection: { servers: server.url }, codec: new RawCodec() });
  await client.connect();

  const pubPhases = (tag: string) => ({
    rawDefaults: (n?: number) => window((i) => js.publish('bench.pub', payload, { msgID: `rawd-${tag}-${i}` }), n),
    raw: (n?: number) => window((i) => jsLean.publish('bench.pub', payload, { msgID: `raw-${tag}-${i}` }), n),
    publish: (n?: number) => window((i) => client.publish('bench.pub', payload, { msgId: `ours-${tag}-${i}` }), n),
    emit: (n?: number) =>
      window(
        (i) =>
          new Promise((resolve, reject) =>
            client.emit('bench.pub', new JetStreamRecord(payload, { msgId: `emit-${tag}-${i}` })).subscribe({ complete: () => resolve(i), error: reject }),
          ),
        n,
      ),
  });
  type PubPhase = keyof ReturnType<typeof pubPhases>;

  // Warm-up: every code path JIT-compiled before anything is measured.
  if (ONLY !== 'drain') {
    const warm = pubPhases('warm');
    for (const phase of Object.keys(warm) as PubPhase[]) await warm[phase](Math.min(N, 10_000));
    progress('warmed up');
  }

  const drains = {
    raw: () => rawDrain(js, jsm),
    ours: () => oursDrain(server.url, jsm, true),
    pipeline: () => oursDrain(server.url, jsm, false),
  };
  if (ONLY !== 'publish') {
    await fill(nc, jsm);
    for (const d of Object.keys(drains) as (keyof typeof drains)[]) await drains[d]();
    progress('drains warmed up');
  }

  const drainRows: string[][] = [];
  const pubRows: string[][] = [];
  const ratio = (ours: number, raw: number) => (ours / raw).toFixed(2);
  for (let round = 1; round <= ROUNDS; round++) {
    if (ONLY !== 'drain') {
      const phases = pubPhases(`${round}`);
      const pub: Record<string, number> = {};
      const cpu: Record<string, number> = {};
      for (const phase of rotated<PubPhase>(['raw', 'publish', 'emit', 'rawDefaults'], round)) {
        await jsm.streams.purge('PUB');
        pub[phase] = await phases[phase]();
        cpu[phase] = lastPublishCpu;
        progress(`round ${round}: ${phase} publish ${pub[phase].toFixed(0)}/s`);
      }
      pubRows.push([
        `${round}`,
        pub.raw.toFixed(0),
        pub.publish.toFixed(0),
        ratio(pub.publish, pub.raw),
        pub.emit.toFixed(0),
        ratio(pub.emit, pub.raw),
        pub.rawDefaults.toFixed(0),
        ratio(pub.publish, pub.rawDefaults),
        cpu.raw.toFixed(1),
        cpu.publish.toFixed(1),
        cpu.emit.toFixed(1),
        cpu.rawDefaults.toFixed(1),
      ]);
    }
    if (ONLY !== 'publish') {
      // Each drain reads the same backlog through its own durable.
      await fill(nc, jsm);
      const dr: Record<string, number> = {};
      for (const d of rotated<keyof typeof drains>(['raw', 'ours', 'pipeline'], round)) {
        dr[d] = await drains[d]();
        progress(`round ${round}: ${d} drain ${dr[d].toFixed(0)}/s`);
      }
      drainRows.push([
        `${round}`,
        dr.raw.toFixed(0),
        dr.ours.toFixed(0),
        ratio(dr.ours, dr.raw),
        dr.pipeline.toFixed(0),
        ratio(dr.pipeline, dr.raw),
        cpuPerMsg.raw.toFixed(1),
        cpuPerMsg.ours.toFixed(1),
        cpuPerMsg.pipeline.toFixed(1),
      ]);
    }
  }
  await client.close();
  await ncLean.close();
  await nc.close();
  await server.stop();

  console.log(`nest-jetstream bench: ${N} messages of ${SIZE} B, ${ROUNDS} rounds, publish window ${WINDOW}, nats-server ${server.version}`);
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
  if (drainRows.length) {
    printTable(
      'Drain (msgs/s; ratio to raw; Node CPU per message)',
      ['round', 'raw', 'ours (direct call)', 'ratio', 'ours (Nest pipeline)', 'ratio', 'raw CPU µs', 'ours CPU µs', 'pipeline CPU µs'],
      drainRows,
    );
  }
  if (pubRows.length) {
    printTable(
      'Publish (msgs/s, 256 in flight; ratios to raw with the same connection options, and to raw with the client defaults; Node CPU per publish)',
      ['round', 'raw', 'ours publish()', 'ratio', 'ours emit()', 'ratio', 'raw, client defaults', 'ratio publish() to it', 'raw CPU µs', 'publish() CPU µs', 'emit() CPU µs', 'raw defaults CPU µs'],
      pubRows,
    );
  }
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
