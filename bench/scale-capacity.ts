// How many consumers a stream holds: durables added until the server refuses one, on a fresh single
// server of each version and (with --cluster) on a 3-node cluster with an R3 stream, where every
// consumer is a replicated group of its own unless it asks for fewer replicas.
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsCluster, NatsServer, resolveNatsServerBinary } from '@nest-jetstream/testing';
import { progress } from './lib.js';
import { procCpuUs } from './scale-fan-app.js';
import { fixed, table } from './scale-lib.js';

const IDLE_MS = 3_000;

interface Probe {
  urls: string[];
  pids: (number | undefined)[];
  version: string;
  label: string;
  replicas: number;
  consumerReplicas?: number;
}

/** Idle CPU of the servers, ms per second, over IDLE_MS. */
async function idleCpu(pids: (number | undefined)[]): Promise<number> {
  const cpu = () => pids.reduce<number>((sum, pid) => sum + procCpuUs(pid), 0);
  const before = cpu();
  await new Promise((r) => setTimeout(r, IDLE_MS));
  return (cpu() - before) / IDLE_MS;
}

async function probe(p: Probe, cap: number): Promise<(string | number)[]> {
  const nc = await connect({ servers: p.urls });
  try {
    // Generous: a loaded cluster took over 5 s (the default) to delete a stream with 1,000 R3 consumers.
    const jsm = await jetstreamManager(nc, { timeout: 60_000 });
    await jsm.streams.add({ name: 'SCALE_CAP', subjects: ['scale.cap'], num_replicas: p.replicas });
    const idleBefore = await idleCpu(p.pids);
    let added = 0;
    let refusal = `none up to ${cap}`;
    const started = performance.now();
    try {
      for (; added < cap; added++)
        await jsm.consumers.add('SCALE_CAP', {
          durable_name: `c${added}`,
          ack_policy: AckPolicy.Explicit,
          inactive_threshold: 600_000_000_000,
          ...(p.consumerReplicas !== undefined && { num_replicas: p.consumerReplicas }),
        });
    } catch (err) {
      refusal = err instanceof Error ? err.message : String(err);
    }
    const perAdd = (performance.now() - started) / Math.max(1, added);
    const idleAfter = await idleCpu(p.pids);
    progress(`capacity: ${p.label}: ${added} consumers, ${fixed(perAdd, 1)} ms each, idle ${fixed(idleBefore, 1)} → ${fixed(idleAfter, 1)} ms/s`);
    await jsm.streams.delete('SCALE_CAP').catch(() => undefined); // the server goes next
    return [p.version, p.label, added, refusal, fixed(perAdd, 2), `${fixed(idleBefore, 1)} → ${fixed(idleAfter, 1)}`];
  } finally {
    await nc.close();
  }
}

export async function capacity(cap: number, cluster: boolean): Promise<string> {
  const rows: (string | number)[][] = [];
  for (const label of ['newest', 'oldest'] as const) {
    const server = await NatsServer.start({ binary: resolveNatsServerBinary({ NATS_SERVER_VERSION: label }) });
    try {
      rows.push(await probe({ urls: [server.url], pids: [server.pid], version: server.version, label: 'single server, R1', replicas: 1 }, cap));
    } finally {
      await server.stop();
    }
  }
  if (cluster)
    for (const consumerReplicas of [undefined, 1]) {
      const c = await NatsCluster.start();
      try {
        const label = `3-node cluster, R3 stream, ${consumerReplicas === undefined ? "R3 consumers (the stream's)" : 'R1 consumers (num_replicas 1)'}`;
        rows.push(await probe({ urls: c.urls, pids: c.servers.map((s) => s.pid), version: c.servers[0].version, label, replicas: 3, consumerReplicas }, cap));
      } finally {
        await c.stop();
      }
    }
  return table(
    'Consumers one stream holds (durables added on a fresh server or cluster until refused)',
    ['nats-server', 'where', 'consumers added', 'refusal', 'ms per consumer add', 'idle server CPU ms/s, before → after'],
    rows,
    [
      'nats-server 2.15 caps the consumers of a stream without its own `max_consumers` (and of an account without a consumer limit) at `default_max_consumers` (the NATS docs: "Available since NATS Server 2.15"; set -1 for the unlimited pre-2.15 behaviour). Every broadcast or ordered instance holds one consumer per handler on the stream, and every shared handler one durable: with the default, 1,000 in all per stream. Idle CPU: all the servers\' CPU over 3 s, with no consumer and with all of them added (a cluster\'s is the sum of its 3 nodes).',
    ],
  );
}
