// Outbox relay throughput beside raw, in one run: N events waiting in a SQLite outbox (in memory),
// drained by `OutboxRelay.relayOnce()` passes of 100 (publish, then mark) as atomic batches and as
// single publishes, against raw pipelined `js.publish()` of N messages (256 in flight) with no
// database at all; rounds rotate the order.  npm run bench:outbox  (BENCH_MESSAGES, BENCH_ROUNDS)
import 'reflect-metadata';
import Database from 'better-sqlite3';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsServer } from '@nest-jetstream/testing';
import { JetStreamClient, OutboxRelay } from '@nest-jetstream/transport';
import { SqlOutbox, sqliteExecutor } from '@nest-jetstream/transport/sql';
import { machineLine, measured, N, printTable, progress, ROUNDS, run, runRound, window, type Measure } from './lib.js';

const data = { order: 'o-1', note: 'x'.repeat(900) }; // about 1 KiB of JSON

async function main(): Promise<void> {
  const server = await NatsServer.start();
  const nc = await connect({ servers: server.url, noAsyncTraces: true });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  await jsm.streams.add({ name: 'OUT', subjects: ['bench.out'], allow_atomic: true } as Parameters<typeof jsm.streams.add>[0]);
  const client = new JetStreamClient({ connection: { servers: server.url }, publish: { timeout: '30s', retryBudget: '120s' } });
  await client.connect();
  const encoded = new TextEncoder().encode(JSON.stringify(data));
  const drain = async (atomic: 'auto' | false): Promise<Measure> => {
    const db = new Database(':memory:');
    const outbox = new SqlOutbox({ executor: sqliteExecutor(db), dialect: 'sqlite' });
    outbox.createTable();
    db.transaction(() => {
      for (let i = 0; i < N; i++) outbox.add({ subject: 'bench.out', data });
    })();
    const relay = new OutboxRelay({ outbox, client, atomic });
    const started = performance.now();
    const cpu = process.cpuUsage();
    while ((await relay.relayOnce()) > 0);
    const m = measured(N, performance.now() - started, cpu);
    db.close();
    return m;
  };
  const phases = (tag: string): Record<string, () => Promise<Measure>> => ({
    'raw publish x256': () => window((i) => js.publish('bench.out', encoded, { msgID: `raw-${tag}-${i}` })),
    'relay, atomic batches of 100': () => drain('auto'),
    'relay, single publishes (100 in flight)': () => drain(false),
  });
  for (const p of Object.values(phases('warm'))) await p();
  progress('warmed up');
  const names = Object.keys(phases('x'));
  const rows: string[][] = [];
  const ratios: string[][] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const m = await runRound(round, 'relay', phases(`${round}`), () => jsm.streams.purge('OUT'));
    rows.push([`${round}`, ...names.map((n) => m[n].rate.toFixed(0))]);
    ratios.push([`${round}`, ...names.map((n) => (m[n].rate / m['raw publish x256'].rate).toFixed(2))]);
  }
  await client.close();
  await nc.close();
  await server.stop();
  console.log(`outbox relay bench: ${N} events of about 1 KiB, ${ROUNDS} rounds, nats-server ${server.version}, file storage, SQLite in memory`);
  console.log(machineLine());
  printTable('events/s', ['round', ...names], rows);
  printTable('ratio to raw pipelined publish in the same round', ['round', ...names], ratios);
}

run(main);
