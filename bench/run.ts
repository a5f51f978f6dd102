// Throughput of @nest-jetstream/transport beside raw @nats-io/jetstream, same server, same run.
//   npm run bench            (100k messages of 1 KiB, 6 rounds; BENCH_MESSAGES / BENCH_ROUNDS to change; NEST_COMPAT=11 for NestJS 11)
// Drains are timed from the first message handled to the last, for both. Prints msgs/s and the ratio to raw. Not a test: nothing here passes or fails on speed.
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamClient as RawJs, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsServer } from '@nest-jetstream/testing';
import { JetStreamClient, JetStreamRecord, RawCodec } from '@nest-jetstream/transport';
import { countedDrain, fill, machineLine, N, payload, printTable, progress, ROUNDS, run, runRound, SIZE, WINDOW, window, type Measure } from './lib.js';
import { ACK_PENDING, drainThroughNest } from './nest-drain.js';

/** The NestJS major the drains run on: `NEST_COMPAT=11` loads the Nest 11 compat install (scripts/register.cjs), as the tests do. */
const NEST_VERSION = process.env.NEST_COMPAT === '11' ? '11' : '12';

/** `drain` or `publish` to run one half only; `batch`: the batch handler's drain beside the single-message one and raw. */
const ONLY = process.env.BENCH_ONLY;

/** BENCH_ENHANCERS=nest: the enhancer drains through Nest's pipeline (`directCalls: false`, as before #24), for before/after pairs. */
const ENHANCED = process.env.BENCH_ENHANCERS === 'nest' ? { directCalls: false } : {};

type DrainName = 'raw' | 'ours' | 'pipeline' | 'rawDefaults' | 'defaults' | 'guard' | 'pipe' | 'interceptor';

/** BENCH_DRAINS=raw,guard,…: only these drains (bench/targets.ts runs the ones #24's targets name); the others print as "-". */
function pickDrains(all: Record<DrainName, () => Promise<Measure>>): Record<DrainName, () => Promise<Measure>> {
  const wanted = process.env.BENCH_DRAINS?.split(',').map((s) => s.trim());
  if (!wanted) return all;
  const unknown = wanted.filter((w) => !(w in all));
  if (unknown.length) throw new Error(`BENCH_DRAINS: unknown drain(s) ${unknown.join(', ')}; known: ${Object.keys(all).join(', ')}`);
  // Typed as the full record for runRound; the results are read as partial (a drain not run is undefined).
  return Object.fromEntries(Object.entries(all).filter(([name]) => wanted.includes(name))) as Record<DrainName, () => Promise<Measure>>;
}

/** For bench/targets.ts: each drain's per-round ratio to raw (defaults to raw's defaults) and CPU µs, as JSON. */
function writeSummary(path: string, drainRows: string[][], enhancerRows: string[][]): void {
  const col = (rows: string[][], i: number) => rows.map((r) => Number(r[i]));
  const summary = {
    nest: NEST_VERSION,
    ratio: { defaults: col(drainRows, 11), guard: col(enhancerRows, 3), pipe: col(enhancerRows, 5), interceptor: col(enhancerRows, 7) },
    cpuUs: {
      raw: col(drainRows, 6),
      rawDefaults: col(drainRows, 12),
      defaults: col(drainRows, 13),
      guard: col(enhancerRows, 9),
      pipe: col(enhancerRows, 10),
      interceptor: col(enhancerRows, 11),
    },
  };
  writeFileSync(path, JSON.stringify(summary));
}

const rate = (m?: Measure) => (m ? m.rate.toFixed(0) : '-');
const cpu = (m?: Measure) => (m ? m.cpuUs.toFixed(1) : '-');
async function rawDrain(js: RawJs, jsm: JetStreamManager): Promise<Measure> {
  // The same consumer config as ours: filter_subject included (it changes the server's delivery path).
  await jsm.consumers.add('DRAIN', { durable_name: 'raw', ack_policy: AckPolicy.Explicit, max_ack_pending: ACK_PENDING, filter_subject: 'bench.drain' });
  const consumer = await js.consumers.get('DRAIN', 'raw');
  // Stopped before the consumer is deleted (countedDrain closes it): a pull left running would
  // take messages from the next round's consumer of the same name.
  const result = await countedDrain((callback) => consumer.consume({ max_messages: 1000, callback }), true);
  await jsm.consumers.delete('DRAIN', 'raw');
  return result;
}

/** Raw with raw's defaults: the consumer as `consumers.add` makes it (max_ack_pending 1000), `consume()` with no options (max_messages 100). */
async function rawDefaultsDrain(js: RawJs, jsm: JetStreamManager): Promise<Measure> {
  await jsm.consumers.add('DRAIN', { durable_name: 'raw_defaults', ack_policy: AckPolicy.Explicit, filter_subject: 'bench.drain' });
  const consumer = await js.consumers.get('DRAIN', 'raw_defaults');
  const result = await countedDrain((callback) => consumer.consume({ callback }), true);
  await jsm.consumers.delete('DRAIN', 'raw_defaults');
  return result;
}

/** BENCH_ONLY=batch: raw, our single-message handler and our batch handler drain the same backlog, interleaved, each round. */
async function batchMain(): Promise<void> {
  const server = await NatsServer.start();
  const nc = await connect({ servers: server.url });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'DRAIN', subjects: ['bench.drain'] });
  const drains: Record<'raw' | 'single' | 'batch', () => Promise<Measure>> = {
    raw: () => rawDrain(js, jsm),
    single: () => drainThroughNest(server.url, jsm, { directCalls: true }),
    batch: () => drainThroughNest(server.url, jsm, {}, 'batch'),
  };
  await fill(nc, jsm);
  for (const drain of Object.values(drains)) await drain();
  progress('drains warmed up');
  const rows: string[][] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    await fill(nc, jsm);
    const m = await runRound(round, 'drain', drains, () => Promise.resolve());
    rows.push([
      `${round}`,
      ...[m.raw, m.single, m.batch].map((x) => x.rate.toFixed(0)),
      (m.single.rate / m.raw.rate).toFixed(2),
      (m.batch.rate / m.raw.rate).toFixed(2),
      ...[m.raw, m.single, m.batch].map((x) => x.cpuUs.toFixed(1)),
    ]);
  }
  await nc.close();
  await server.stop();
  console.log(
    `nest-jetstream bench (batch): ${N} messages of ${SIZE} B, ${ROUNDS} rounds, batch size ${process.env.BENCH_BATCH_SIZE ?? 100}, nats-server ${server.version}`,
  );
  console.log(machineLine());
  printTable(
    'Drain, trivial handler: single-message vs batch handler (msgs/s; ratio to raw; Node CPU per message)',
    ['round', 'raw', 'ours single', 'ours batch', 'single/raw', 'batch/raw', 'raw CPU µs', 'single CPU µs', 'batch CPU µs'],
    rows,
  );
}

async function main(): Promise<void> {
  if (ONLY === 'batch') return batchMain();
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

  const pubPhases = (tag: string): Record<'raw' | 'publish' | 'emit' | 'rawDefaults', (n?: number) => Promise<Measure>> => ({
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
    rawDefaults: (n?: number) => window((i) => js.publish('bench.pub', payload, { msgID: `rawd-${tag}-${i}` }), n),
  });

  // Warm-up: every code path JIT-compiled before anything is measured.
  if (ONLY !== 'drain') {
    const warm = pubPhases('warm');
    for (const phase of Object.values(warm)) await phase(Math.min(N, 10_000));
    progress('warmed up');
  }

  const allDrains: Record<DrainName, () => Promise<Measure>> = {
    raw: () => rawDrain(js, jsm),
    // Both sides with their defaults: a handler with no options (adaptive prefetch) against consume() with none.
    rawDefaults: () => rawDefaultsDrain(js, jsm),
    defaults: () => drainThroughNest(server.url, jsm, {}, 'defaults'),
    // `directCalls: false` sends the handler through Nest's RPC pipeline (what a handler with any guard, interceptor or pipe pays).
    ours: () => drainThroughNest(server.url, jsm, { directCalls: true }),
    pipeline: () => drainThroughNest(server.url, jsm, { directCalls: false }),
    // The tuned handler behind one no-op guard, pipe or interceptor (Nest's pipeline, with what it runs around the method).
    guard: () => drainThroughNest(server.url, jsm, ENHANCED, 'guard'),
    pipe: () => drainThroughNest(server.url, jsm, ENHANCED, 'pipe'),
    interceptor: () => drainThroughNest(server.url, jsm, ENHANCED, 'interceptor'),
  };
  const drains = pickDrains(allDrains);
  if (ONLY !== 'publish') {
    await fill(nc, jsm);
    for (const drain of Object.values(drains)) await drain();
    progress('drains warmed up');
  }

  const drainRows: string[][] = [];
  const enhancerRows: string[][] = [];
  const pubRows: string[][] = [];
  const ratio = (ours?: Measure, raw?: Measure) => (ours && raw ? (ours.rate / raw.rate).toFixed(2) : '-');
  for (let round = 1; round <= ROUNDS; round++) {
    if (ONLY !== 'drain') {
      const phases = pubPhases(`${round}`);
      const m = await runRound(round, 'publish', phases, () => jsm.streams.purge('PUB'));
      pubRows.push([
        `${round}`,
        m.raw.rate.toFixed(0),
        m.publish.rate.toFixed(0),
        ratio(m.publish, m.raw),
        m.emit.rate.toFixed(0),
        ratio(m.emit, m.raw),
        m.rawDefaults.rate.toFixed(0),
        ratio(m.publish, m.rawDefaults),
        ...[m.raw, m.publish, m.emit, m.rawDefaults].map((x) => x.cpuUs.toFixed(1)),
      ]);
    }
    if (ONLY !== 'publish') {
      // Each drain reads the same backlog (filled once per round) through its own durable.
      await fill(nc, jsm);
      const m: Partial<Record<DrainName, Measure>> = await runRound(round, 'drain', drains, () => Promise.resolve());
      drainRows.push([
        `${round}`,
        rate(m.raw),
        rate(m.ours),
        ratio(m.ours, m.raw),
        rate(m.pipeline),
        ratio(m.pipeline, m.raw),
        ...[m.raw, m.ours, m.pipeline].map(cpu),
        rate(m.rawDefaults),
        rate(m.defaults),
        ratio(m.defaults, m.rawDefaults),
        ...[m.rawDefaults, m.defaults].map(cpu),
      ]);
      enhancerRows.push([
        `${round}`,
        rate(m.raw),
        ...[m.guard, m.pipe, m.interceptor].flatMap((x) => [rate(x), ratio(x, m.raw)]),
        ...[m.raw, m.guard, m.pipe, m.interceptor].map(cpu),
      ]);
    }
  }
  if (process.env.BENCH_SUMMARY) writeSummary(process.env.BENCH_SUMMARY, drainRows, enhancerRows);
  await client.close();
  await ncLean.close();
  await nc.close();
  await server.stop();

  console.log(`nest-jetstream bench: ${N} messages of ${SIZE} B, ${ROUNDS} rounds, publish window ${WINDOW}, nats-server ${server.version}`);
  console.log(machineLine());
  if (drainRows.length) {
    printTable(
      'Drain (msgs/s; ratio to raw; Node CPU per message)',
      [
        'round',
        'raw',
        'ours (direct call)',
        'ratio',
        'ours (Nest pipeline)',
        'ratio',
        'raw CPU µs',
        'ours CPU µs',
        'pipeline CPU µs',
        'raw, defaults',
        'ours, defaults',
        'ratio defaults',
        'raw defaults CPU µs',
        'ours defaults CPU µs',
      ],
      drainRows,
    );
  }
  if (enhancerRows.length) {
    printTable(
      `Drain through one no-op enhancer, tuned handler (msgs/s; ratio to raw; Node CPU per message; NestJS ${NEST_VERSION})`,
      ['round', 'raw', 'guard', 'ratio', 'pipe', 'ratio', 'interceptor', 'ratio', 'raw CPU µs', 'guard CPU µs', 'pipe CPU µs', 'interceptor CPU µs'],
      enhancerRows,
    );
  }
  if (pubRows.length) {
    printTable(
      'Publish (msgs/s, 256 in flight; ratios to raw with the same connection options, and to raw with the client defaults; Node CPU per publish)',
      [
        'round',
        'raw',
        'ours publish()',
        'ratio',
        'ours emit()',
        'ratio',
        'raw, client defaults',
        'ratio publish() to it',
        'raw CPU µs',
        'publish() CPU µs',
        'emit() CPU µs',
        'raw defaults CPU µs',
      ],
      pubRows,
    );
  }
}

run(main);
