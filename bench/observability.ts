// What metrics and tracing cost: drain and publish through @nest-jetstream/transport with each
// instrumentation on, against the same code with it off, in one run (rotated rounds).
//   npm run bench:observability   (BENCH_MESSAGES, default 100k; BENCH_ROUNDS, default 6)
// Not a test: nothing here passes or fails on speed. Results: bench/RESULTS.md.
import 'reflect-metadata';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsServer } from '@nest-jetstream/testing';
import { JetStreamClient, RawCodec } from '@nest-jetstream/transport';
import { fill, machineLine, N, payload, printTable, progress, ROUNDS, run, runRound, SIZE, window, type Measure } from './lib.js';
import { drainThroughNest } from './nest-drain.js';
import { instrumentations, type Variant } from './observability-variants.js';

async function main(): Promise<void> {
  const server = await NatsServer.start();
  const nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'DRAIN', subjects: ['bench.drain'] });
  await jsm.streams.add({ name: 'PUB', subjects: ['bench.pub'], duplicate_window: 120_000_000_000 });
  // BENCH_VARIANTS=off|metrics to run some only (names as printed, '|' between them); BENCH_ONLY=drain|publish.
  const wanted = process.env.BENCH_VARIANTS?.split('|');
  const variants: Variant[] = (await instrumentations()).filter((v) => !wanted || wanted.includes(v.name));
  const names = variants.map((v) => v.name);

  const clients = new Map<string, JetStreamClient>();
  for (const v of variants) {
    const client = new JetStreamClient({ connection: { servers: server.url }, serviceName: 'bench', codec: new RawCodec(), ...v.options() });
    await client.connect();
    clients.set(v.name, client);
  }
  const publishes = (tag: string) =>
    Object.fromEntries(
      variants.map((v) => [v.name, () => window((i) => clients.get(v.name)!.publish('bench.pub', payload, { msgId: `${v.name}-${tag}-${i}` }))]),
    ) as Record<string, () => Promise<Measure>>;
  const drains = Object.fromEntries(variants.map((v) => [v.name, () => drainThroughNest(server.url, jsm, v.options())])) as Record<
    string,
    () => Promise<Measure>
  >;

  // Warm-up: every path JIT-compiled before anything is measured.
  const only = process.env.BENCH_ONLY;
  if (only !== 'drain') for (const p of Object.values(publishes('warm'))) await p();
  await fill(nc, jsm);
  for (const d of Object.values(drains)) await d();
  progress('warmed up');

  const pubRows: string[][] = [];
  const drainRows: string[][] = [];
  const row = (round: number, m: Record<string, Measure>) => [
    `${round}`,
    ...names.flatMap((n, i) => (i === 0 ? [m[n].rate.toFixed(0)] : [m[n].rate.toFixed(0), (m[n].rate / m[names[0]].rate).toFixed(2)])),
    ...names.map((n) => m[n].cpuUs.toFixed(1)),
  ];
  for (let round = 1; round <= ROUNDS; round++) {
    if (only !== 'drain') pubRows.push(row(round, await runRound(round, 'publish', publishes(`${round}`), () => jsm.streams.purge('PUB'))));
    await fill(nc, jsm);
    drainRows.push(row(round, await runRound(round, 'drain', drains, () => Promise.resolve())));
  }
  for (const v of variants) await v.close?.();
  for (const c of clients.values()) await c.close();
  await nc.close();
  await server.stop();

  const head = ['round', ...names.flatMap((n, i) => (i === 0 ? [n] : [n, 'ratio'])), ...names.map((n) => `${n} CPU µs`)];
  console.log(`nest-jetstream observability bench: ${N} messages of ${SIZE} B, ${ROUNDS} rounds, nats-server ${server.version}`);
  console.log(machineLine());
  for (const v of variants) console.log(`- ${v.name}: ${v.description}`);
  printTable('Drain (msgs/s; ratio to off; Node CPU per message)', head, drainRows);
  if (pubRows.length) printTable('Publish (msgs/s, 256 in flight; ratio to off; Node CPU per publish)', head, pubRows);
}

run(main);
