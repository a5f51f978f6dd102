// Batch publishes beside raw, in one run: pipelined single publishes (256 in flight, each with a
// msgId) against atomic batches of BATCH messages (each with a msgId), raw `js.startBatch()` and our
// `client.publishBatch()`, one batch at a time and BATCHES_IN_FLIGHT at once, and fast-ingest
// batches (nats-server 2.14+) of all the messages at once: nats.js's internal `startFastIngest()`
// and our `client.publishFastBatch()`, flow window FAST_ACK_INTERVAL x 2; rounds rotate the order.
// npm run bench:batch  (BENCH_MESSAGES, BENCH_ROUNDS, BENCH_BATCH, BENCH_FAST_ACK_INTERVAL)
import 'reflect-metadata';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
// Fast ingest has no public API in nats.js 3.4 (the library reaches it in one adapter file).
import { startFastIngest } from '@nats-io/jetstream/internal';
import { connect, headers } from '@nats-io/transport-node';
import { NatsServer } from '@nest-jetstream/testing';
import { JetStreamClient, RawCodec } from '@nest-jetstream/transport';
import { machineLine, measured, N, payload, printTable, progress, ROUNDS, run, runRound, SIZE, window, type Measure } from './lib.js';

const BATCH = Number(process.env.BENCH_BATCH ?? 100);
const BATCHES_IN_FLIGHT = 4;
const FAST_ACK_INTERVAL = Number(process.env.BENCH_FAST_ACK_INTERVAL ?? 100);

/** `n` messages as one fast-ingest batch through `send` (which gets the whole batch). */
async function fastBatch(n: number, send: () => Promise<unknown>): Promise<Measure> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  await send();
  return measured(n, performance.now() - started, cpu);
}

/** `n` messages as batches of BATCH, `lanes` batches in flight. */
async function batches(n: number, lanes: number, send: (first: number, size: number) => Promise<unknown>): Promise<Measure> {
  let next = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const lane = async () => {
    while (next < n) {
      const first = next;
      const size = Math.min(BATCH, n - first);
      next += size;
      await send(first, size);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return measured(n, performance.now() - started, cpu);
}

async function main(): Promise<void> {
  const server = await NatsServer.start();
  const nc = await connect({ servers: server.url, noAsyncTraces: true });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  await jsm.streams.add({ name: 'PUB', subjects: ['bench.pub'], allow_atomic: true, allow_batched: true });
  const client = new JetStreamClient({ connection: { servers: server.url }, codec: new RawCodec(), publish: { timeout: '30s', retryBudget: '120s' } });
  await client.connect();
  const rawBatch = async (tag: string, first: number, size: number) => {
    const b = await js.startBatch('bench.pub', payload, { msgID: `${tag}-${first}` });
    // The client's add() and commit() take no msgID option: the header itself, as ours sends it.
    const withId = (i: number) => {
      const h = headers();
      h.set('Nats-Msg-Id', `${tag}-${first + i}`);
      return { headers: h };
    };
    for (let i = 1; i < size - 1; i++) b.add('bench.pub', payload, withId(i));
    if (size > 1) await b.commit('bench.pub', payload, withId(size - 1));
  };
  const ourBatch = (tag: string, first: number, size: number) =>
    client.publishBatch(Array.from({ length: size }, (_, i) => ({ subject: 'bench.pub', data: payload, msgId: `${tag}-${first + i}` })));
  const withId = (id: string) => {
    const h = headers();
    h.set('Nats-Msg-Id', id);
    return { headers: h };
  };
  const rawFast = async (tag: string) => {
    const fi = await startFastIngest(nc, 'bench.pub', payload, { allowGaps: false, ackInterval: FAST_ACK_INTERVAL, ...withId(`${tag}-0`) });
    for (let i = 1; i < N - 1; i++) await fi.add('bench.pub', payload, withId(`${tag}-${i}`));
    await fi.last('bench.pub', payload, withId(`${tag}-${N - 1}`));
  };
  function* fastMessages(tag: string) {
    for (let i = 0; i < N; i++) yield { subject: 'bench.pub', data: payload, msgId: `${tag}-${i}` };
  }
  const phases = (tag: string): Record<string, () => Promise<Measure>> => ({
    'raw publish x256': () => window((i) => js.publish('bench.pub', payload, { msgID: `rp-${tag}-${i}` })),
    'our publish x256': () => window((i) => client.publish('bench.pub', payload, { msgId: `op-${tag}-${i}` })),
    'raw startBatch x1': () => batches(N, 1, (f, s) => rawBatch(`rb-${tag}`, f, s)),
    'our publishBatch x1': () => batches(N, 1, (f, s) => ourBatch(`ob-${tag}`, f, s)),
    [`our publishBatch x${BATCHES_IN_FLIGHT}`]: () => batches(N, BATCHES_IN_FLIGHT, (f, s) => ourBatch(`ob4-${tag}`, f, s)),
    'raw startFastIngest': () => fastBatch(N, () => rawFast(`rf-${tag}`)),
    'our publishFastBatch': () => fastBatch(N, () => client.publishFastBatch(fastMessages(`of-${tag}`), { ackInterval: FAST_ACK_INTERVAL })),
  });
  for (const p of Object.values(phases('warm'))) await p();
  progress('warmed up');
  const names = Object.keys(phases('x'));
  const rows: string[][] = [];
  const ratios: string[][] = [];
  const purge = () => jsm.streams.purge('PUB');
  for (let round = 1; round <= ROUNDS; round++) {
    const m = await runRound(round, 'publish', phases(`${round}`), purge);
    const base = m['raw publish x256'].rate;
    rows.push([`${round}`, ...names.map((n) => m[n].rate.toFixed(0))]);
    ratios.push([`${round}`, ...names.map((n) => (m[n].rate / base).toFixed(2))]);
  }
  await client.close();
  await nc.close();
  await server.stop();
  console.log(
    `batch publish bench: ${N} messages of ${SIZE} B, atomic batches of ${BATCH}, fast batches of ${N} (ackInterval ${FAST_ACK_INTERVAL}), ${ROUNDS} rounds, nats-server ${server.version}, file storage`,
  );
  console.log(machineLine());
  printTable('msgs/s', ['round', ...names], rows);
  printTable('ratio to raw pipelined publish in the same round', ['round', ...names], ratios);
}

run(main);
