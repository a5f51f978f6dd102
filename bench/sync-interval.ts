// What `sync_interval: always` (fsync after every write, as deploy/nats sets) costs publishes:
// the same publish window against two file-store servers, one with it and one with the default
// (a sync every 2 minutes), rounds alternated.  npm run bench:sync  (BENCH_MESSAGES, BENCH_ROUNDS)
import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsServer } from '@nest-jetstream/testing';
import { JetStreamClient, RawCodec } from '@nest-jetstream/transport';
import { machineLine, N, payload, printTable, progress, ROUNDS, run, runRound, SIZE, window, type Measure } from './lib.js';

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nest-jetstream-sync-'));
  const servers: Record<string, NatsServer> = {};
  for (const [name, extra] of [
    ['default', ''],
    ['always', 'sync_interval: always'],
  ] as const) {
    const file = join(dir, `${name}.conf`);
    writeFileSync(file, `port: 4222\nhttp_port: 8222\njetstream { store_dir: "/data", ${extra} }\n`);
    servers[name] = await NatsServer.start({ configFile: file });
  }
  const clients: Record<string, JetStreamClient> = {};
  for (const [name, server] of Object.entries(servers)) {
    const nc = await connect({ servers: server.url });
    await (await jetstreamManager(nc)).streams.add({ name: 'PUB', subjects: ['bench.pub'] });
    await nc.close();
    clients[name] = new JetStreamClient({ connection: { servers: server.url }, codec: new RawCodec(), publish: { timeout: '30s', retryBudget: '120s' } });
    await clients[name].connect();
  }
  const phases = (tag: string) =>
    Object.fromEntries(
      Object.entries(clients).map(([name, c]) => [name, () => window((i) => c.publish('bench.pub', payload, { msgId: `${name}-${tag}-${i}` }))]),
    ) as Record<string, () => Promise<Measure>>;
  for (const p of Object.values(phases('warm'))) await p();
  progress('warmed up');
  const rows: string[][] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const m = await runRound(round, 'publish', phases(`${round}`), () => Promise.resolve());
    rows.push([`${round}`, m.default.rate.toFixed(0), m.always.rate.toFixed(0), (m.always.rate / m.default.rate).toFixed(2)]);
  }
  for (const c of Object.values(clients)) await c.close();
  for (const s of Object.values(servers)) await s.stop();
  rmSync(dir, { recursive: true, force: true });
  console.log(
    `sync_interval bench: ${N} publishes of ${SIZE} B, 256 in flight, ${ROUNDS} rounds, nats-server ${servers.default.version}, file storage in ${tmpdir()}`,
  );
  console.log(machineLine());
  printTable('Publish (msgs/s; ratio of sync_interval: always to the default)', ['round', 'default', 'sync_interval: always', 'ratio'], rows);
}

run(main);
