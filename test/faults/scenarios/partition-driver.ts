// The partition scenario, run inside the client's network namespace (see partition.ts): three
// nats-servers, each in its own namespace (through wrapper scripts), an R3 stream under publish
// and consume load, then its leader isolated from the other two nodes while a client connected only
// to it keeps publishing, then healed. Prints the report as a JSON line. The consumer app's
// connection is pinned to p1; FAULT_SIDE says whether the stream leader is moved onto p1 before
// the cut (`minority`: the app is cut off with the leader) or away from it (`majority`).
import 'reflect-metadata';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { NatsServer, waitFor } from '@nest-jetstream/testing';
import { JetStreamClient } from '@nest-jetstream/transport';
import { ElectionClock } from '../workload/elections';
import { printTimeline } from '../workload/timeline';
import { Workload } from '../workload/workload';
import { heal, isolate, type NetnsLayout } from './netns';
import type { RunOptions } from './sizes';

const STEPDOWN_TRIES = 10;

/** Moves the stream's leader onto `node` (`want`) or off it, with leader stepdowns (2.11+ take a preferred node). */
async function placeLeader(nc: NatsConnection, node: string, others: string[], want: boolean): Promise<string> {
  const jsm = await jetstreamManager(nc, { timeout: 5_000 });
  for (let i = 0; i < STEPDOWN_TRIES; i++) {
    const leader = (await jsm.streams.info('FAULTS')).cluster?.leader;
    if (leader && (leader === node) === want) return leader;
    const preferred = want ? node : others[i % others.length];
    await nc.request('$JS.API.STREAM.LEADER.STEPDOWN.FAULTS', JSON.stringify({ placement: { preferred } }), { timeout: 5_000 }).catch(() => undefined);
    await waitFor('a stream leader after the stepdown', async () => (await jsm.streams.info('FAULTS').catch(() => undefined))?.cluster?.leader, {
      timeout: 30_000,
      interval: 100,
    });
  }
  throw new Error(`partition: could not move the FAULTS leader ${want ? 'onto' : 'off'} ${node} in ${STEPDOWN_TRIES} stepdowns`);
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.env.FAULT_OPTS!) as RunOptions;
  const side = (process.env.FAULT_SIDE ?? 'minority') as 'minority' | 'majority';
  const layout = JSON.parse(process.env.FAULT_NETNS!) as NetnsLayout & { wrappers: string[] };
  const names = layout.nodes.map((_, i) => `p${i + 1}`);
  const servers = await Promise.all(
    layout.nodeIps.map((host, i) =>
      NatsServer.prepare({
        binary: layout.wrappers[i],
        host,
        serverName: names[i],
        ports: { client: 4222, monitor: 8222, cluster: 6222 },
        config: [
          `cluster { name: "partition", listen: "${host}:6222", routes: [${layout.nodeIps
            .filter((o) => o !== host)
            .map((o) => `"nats-route://${o}:6222"`)
            .join(', ')}] }`,
          'ping_interval: "2s"',
        ].join('\n'),
      }),
    ),
  );
  const urls = servers.map((s) => s.url);
  const w = new Workload({ urls, replicas: 3, consumerEnv: { FAULT_CONCURRENCY: '8', FAULT_WORK_MS: '2' } });
  let minority: JetStreamClient | undefined;
  let majority: NatsConnection | undefined;
  let admin: NatsConnection | undefined;
  let publisher: JetStreamClient | undefined;
  let elections: ElectionClock | undefined;
  try {
    await Promise.all(servers.map((s) => s.launch()));
    const n = opts.size.messages;
    // The app's connection on p1 (it learns the others from the cluster and may move there).
    await w.startConsumer({ FAULT_NO_RANDOMIZE: '1' });
    admin = await connect({ servers: urls });
    // The consumer's election counts too: the stream's is polled below, the consumer's comes only as an advisory.
    elections = await ElectionClock.listen(urls);
    const placed = names.indexOf(await placeLeader(admin, names[0], names.slice(1), side === 'minority'));
    // The workload's publisher on the majority side: what the consumer app's handling shows is its
    // own pause, not a publisher's stuck on the cut-off node (the minority-side client shows that).
    publisher = new JetStreamClient({ connection: { servers: urls.filter((_, i) => i !== placed), maxReconnectAttempts: -1 } });
    const publishing = w.publish('partition', n, { window: 4, client: publisher });
    await waitFor('a quarter of the messages handled', () => w.handledCount() >= n / 4, { timeout: 60_000, interval: 20 });
    // Placed again: the leader may have moved since (it rarely does); the cut is of the leader now.
    const leaderName = await placeLeader(admin, names[0], names.slice(1), side === 'minority');
    const leader = names.indexOf(leaderName);
    isolate(layout, leader);
    const t = Date.now();
    elections.stopping(t);
    // A client that only knows the minority side: what it publishes now must not be acknowledged and then lost.
    minority = new JetStreamClient({ connection: { servers: [urls[leader]], maxReconnectAttempts: -1 }, publish: { retryBudget: '3s' } });
    const minorityPublishing = w.publish('minority', Math.max(20, Math.round(n / 50)), { window: 8, client: minority });
    // Asked of the majority side only (a connection to the cut-off node would wait on it).
    majority = await connect({ servers: urls.filter((_, i) => i !== leader) });
    // No API check at creation: it is a request too, and the election may still be running.
    const majorityJsm = await jetstreamManager(majority, { timeout: 2_000, checkAPI: false });
    const elected = await waitFor(
      'a new stream leader on the majority side',
      async () => {
        const info = await majorityJsm.streams.info('FAULTS').catch(() => undefined);
        const now = info?.cluster?.leader;
        return now && now !== leaderName ? now : undefined;
      },
      { timeout: 60_000, interval: 100 },
    );
    const electedMs = Date.now() - t;
    await minorityPublishing;
    const healedAt = Date.now();
    heal(layout, leader);
    await publishing;
    await w.settle(opts.size.settleMs);
    const minorityIds = (ids: Set<string>) => [...ids].filter((id) => id.startsWith('minority-')).length;
    const report = await w.report(
      `partition: R3 stream leader cut off from the majority (a client on its side, the consumer app's connection on the ${side} side), then healed`,
      servers[0].version,
      {
        recoverMs: w.longestStallAfter(t),
        waitMs: w.longestWaitAfter(t),
        publishPauseMs: w.longestPublishPauseAfter(t),
        // Until the heal: elections after it (the cut-off node rejoining) are not the cut's.
        electionMs: Math.max(electedMs, elections.electionMs(healedAt)),
        notes: `the majority side had a new stream leader (${elected}) ${(electedMs / 1000).toFixed(1)} s after the cut; the minority-side client: ${minorityIds(w.acked)} acknowledged, ${minorityIds(w.failed)} failed to the caller`,
      },
    );
    printTimeline(`partition, the app on the ${side} side`, w, t, {
      'new stream leader on the majority side': t + electedMs,
      healed: healedAt,
      ...elections.marks(),
    });
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await minority?.close().catch(() => undefined);
    await majority?.close().catch(() => undefined);
    await elections?.close();
    await admin?.close().catch(() => undefined);
    await publisher?.close().catch(() => undefined);
    await w.close();
    await Promise.all(servers.map((s) => s.stop()));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
