// Broadcast and ordered handlers against the number of instances: each instance holds a consumer
// of its own on the server, so consumers grow with instances. K Nest apps, each with its own
// connection as K replicas would be, all in this process or spread over child processes.
//   --instances=1,10,50   the instance counts (default 1, 10, 20, 30, 40, 50, 100)
//   --procs=1,5,raw       1: every instance in this process; P > 1: spread over P child processes;
//                         raw: raw @nats-io/jetstream pull consumers in this process, broadcast only
//   --deliveries=100000   deliveries per throughput point (messages = deliveries ÷ instances)
//   --no-capacity         skip the consumers-per-stream probe; --cluster adds a 3-node R3 cluster to it
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { JetStreamEventMode } from '@nest-jetstream/transport';
import { progress } from './lib.js';
import { capacity } from './scale-capacity.js';
import { FAN_STREAM, FAN_SUBJECT, msBetween, procCpuUs } from './scale-fan-app.js';
import { inChildren, inProcess, rawInProcess, type Fleet } from './scale-instances-procs.js';
import { fixed, percentile, QUICK, table, until } from './scale-lib.js';

const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const list = (name: string, fallback: number[]) => flag(name)?.split(',').map(Number) ?? fallback;
const COUNTS = list('instances', QUICK ? [1, 10, 20] : [1, 10, 20, 30, 40, 50, 100]);
const PROCS = flag('procs')?.split(',') ?? ['1'];
const DELIVERIES = Number(flag('deliveries') ?? (QUICK ? 20_000 : 100_000));
const IDLE_MS = 3_000;

const consumersOn = async (jsm: JetStreamManager) => (await jsm.streams.info(FAN_STREAM)).state.consumer_count;
const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + procCpuUs(pid), 0);

async function point(
  url: string,
  serverPid: number | undefined,
  nc: NatsConnection,
  jsm: JetStreamManager,
  mode: JetStreamEventMode,
  instances: number,
  procs: string,
): Promise<(string | number)[]> {
  const bootStarted = performance.now();
  const fleet: Fleet =
    procs === 'raw'
      ? await rawInProcess(url, instances)
      : procs === '1'
        ? await inProcess(url, mode, instances)
        : await inChildren(url, mode, instances, Number(procs));
  try {
    const bootMs = performance.now() - bootStarted;
    const consumers = await consumersOn(jsm);
    // Idle: what the instances and the server spend with nothing published (heartbeats, pull renewals).
    let client = cpuOf(fleet.pids);
    let server = procCpuUs(serverPid);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const idleClient = ((cpuOf(fleet.pids) - client) / IDLE_MS) * 1000;
    const idleServer = ((procCpuUs(serverPid) - server) / IDLE_MS) * 1000;
    // Fan-out latency: one message, until every instance handled it.
    const latencies: number[] = [];
    const firsts: number[] = [];
    for (let k = 0; k < (QUICK ? 10 : 30); k++) {
      await fleet.arm(1);
      const sent = process.hrtime.bigint();
      nc.publish(FAN_SUBJECT, new Uint8Array(64));
      const { first, last } = await fleet.reached();
      latencies.push(msBetween(sent, last));
      firsts.push(msBetween(sent, first));
    }
    // Throughput: `messages` published at once, deliveries per second across all instances, and the
    // CPU the instances' processes and the server spent per delivery meanwhile.
    const messages = Math.max(100, Math.round(DELIVERIES / instances));
    // A fifth as many first, unmeasured: a child process's code is still cold after its boot.
    await fleet.arm(Math.ceil(messages / 5));
    for (let m = 0; m < Math.ceil(messages / 5); m++) nc.publish(FAN_SUBJECT, new Uint8Array(256));
    await fleet.reached();
    await fleet.arm(messages);
    client = cpuOf(fleet.pids);
    server = procCpuUs(serverPid);
    const started = process.hrtime.bigint();
    const body = new Uint8Array(256);
    for (let m = 0; m < messages; m++) {
      nc.publish(FAN_SUBJECT, body);
      if (m % 1000 === 999) await nc.flush();
    }
    const reached = (await fleet.reached()).last;
    const clientUs = (cpuOf(fleet.pids) - client) / (messages * instances);
    const serverUs = (procCpuUs(serverPid) - server) / (messages * instances);
    const rate = ((messages * instances) / msBetween(started, reached)) * 1000;
    const p50 = percentile(latencies, 50);
    progress(`instances: ${mode} × ${instances} in ${procs}: p50 ${fixed(p50, 1)} ms, ${fixed(rate)}/s, ${fixed(clientUs, 1)} + ${fixed(serverUs, 1)} µs`);
    return [
      mode,
      procs,
      instances,
      consumers,
      fixed(bootMs / instances),
      fixed(percentile(firsts, 50), 1),
      fixed(p50, 1),
      fixed((p50 * 1000) / instances),
      fixed(percentile(latencies, 100), 1),
      fixed(rate),
      fixed(clientUs, 1),
      fixed(serverUs, 1),
      `${fixed(idleClient / 1000, 1)} / ${fixed(idleServer / 1000, 1)}`,
    ];
  } finally {
    await fleet.close();
    await until(`the ${mode} consumers deleted after a clean stop`, async () => (await consumersOn(jsm)) === 0, 60_000);
  }
}

export async function instancesCurve(url: string, serverPid: number | undefined, nc: NatsConnection, jsm: JetStreamManager): Promise<string> {
  await jsm.streams.add({ name: FAN_STREAM, subjects: [FAN_SUBJECT] });
  const rows: (string | number)[][] = [];
  try {
    for (const procs of PROCS)
      for (const mode of procs === 'raw' ? (['broadcast'] as const) : (['broadcast', 'ordered'] as const))
        for (const k of COUNTS.filter((n) => n >= (Number(procs) || 1))) rows.push(await point(url, serverPid, nc, jsm, mode, k, procs));
  } finally {
    await jsm.streams.delete(FAN_STREAM);
  }
  const held = process.argv.includes('--no-capacity') ? '' : `${await capacity(QUICK ? 1_500 : 3_000, process.argv.includes('--cluster'))}\n`;
  return (
    held +
    table(
      `Broadcast and ordered handlers against instances (one handler per instance, ${DELIVERIES} deliveries of 256 B per throughput point)`,
      [
        'mode',
        'processes',
        'instances',
        'consumers on the server',
        'boot ms per instance',
        'first delivery p50 ms',
        'fan-out p50 ms',
        'p50 µs per instance',
        'fan-out max ms',
        'deliveries/s (all instances)',
        'client CPU µs per delivery',
        'server CPU µs per delivery',
        'idle CPU ms/s client / server',
      ],
      rows,
      [
        '"processes" 1: every instance in the bench\'s own process (one Node thread handles every delivery; its CPU includes the publishing); P: spread evenly over P child processes; raw: raw `@nats-io/jetstream` pull consumers (durable each, explicit acks, each on its own connection, `max_messages` 100) in the bench\'s process, nothing of ours. "first delivery": until the first instance handled the message. "fan-out": one message published until every instance handled it (30 rounds; the clock is CLOCK_MONOTONIC, shared by the processes). Throughput: DELIVERIES ÷ instances messages published at once. CPU from /proc/<pid>/stat of the instances\' processes and of nats-server, during the throughput phase; idle over 3 s before it. A clean stop deletes each broadcast consumer; the bench waits for the count to return to 0.',
      ],
    )
  );
}
