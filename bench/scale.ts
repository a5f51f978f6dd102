// Cost curves: how each cost grows as the work grows (#24).
//   npm run bench:scale                 the full run (tens of minutes on a loaded 2-core machine)
//   npm run bench:scale -- --quick      fewer points, a few minutes
//   --only=boot,publish,payload,handler,instances,rss   some curves only; --no-append leaves bench/RESULTS.md alone
//   --instances=, --procs=, --deliveries=, --no-capacity, --cluster   the instances curve's points (scale-instances.ts)
//   SCALE_RSS_CONCURRENCY=10   the RSS drain's handler concurrency (100 by default); SCALE_CHILD_FLAGS='--max-semi-space-size=8'   Node flags for the children
//   SCALE_V8_RUNTIME_FLAGS='--semi-space-growth-factor=1'   V8 flags each child sets on itself once started (v8.setFlagsFromString)
//   One drain alone, to read what the heap holds: bench/scale-rss-probe.ts
// Each curve is a markdown table, printed and appended to bench/RESULTS.md with the machine, the date,
// the command and the load average. Not a test: nothing here passes or fails on speed.
import 'reflect-metadata';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { NatsServer } from '@nest-jetstream/testing';
import { machineLine, progress, run } from './lib.js';
import { streamName, workSubject } from './scale-apps.js';
import { drainCurves } from './scale-drain.js';
import { instancesCurve } from './scale-instances.js';
import type { ChildResult } from './scale-child.js';
import { APPEND, fixed, inChild, load, percentile, QUICK, table, until, wanted } from './scale-lib.js';

const REPEATS = QUICK ? 3 : 5;
const median = (values: number[]) => percentile(values, 50);
/** What V8 holds for its young generation (both semi-spaces): it grows with what survives its scavenges. */
const young = (r: ChildResult) => fixed(r.spaces?.new_space?.committedMb ?? NaN, 1);
import { publishCurve } from './scale-publish.js';

async function bootCurve(url: string, jsm: JetStreamManager): Promise<string> {
  const points = QUICK
    ? [
        [10, 1],
        [100, 1],
        [500, 1],
        [100, 10],
      ]
    : [
        [10, 1],
        [100, 1],
        [500, 1],
        [100, 10],
        [100, 100],
        [500, 100],
      ];
  const rows: (string | number)[][] = [];
  for (const [handlers, streams] of points) {
    const cold = await inChild({ kind: 'boot', url, handlers, streams });
    let consumers = 0;
    for (let j = 0; j < streams; j++) consumers += (await jsm.streams.info(streamName(j))).state.consumer_count;
    const warm = await inChild({ kind: 'boot', url, handlers, streams });
    for (let j = 0; j < streams; j++) await jsm.streams.delete(streamName(j));
    rows.push([
      handlers,
      streams,
      consumers,
      fixed(cold.bootMs ?? NaN),
      fixed((cold.bootMs ?? NaN) / handlers, 1),
      fixed(warm.bootMs ?? NaN),
      fixed(cold.rssMb, 1),
      fixed(cold.heapMb, 1),
    ]);
    progress(`boot: ${handlers} handlers on ${streams} streams: ${fixed(cold.bootMs ?? NaN)} ms cold, ${fixed(warm.bootMs ?? NaN)} ms warm`);
  }
  return table(
    'Boot time and memory against handlers and streams (each boot in a fresh process; streams declared, so a cold boot creates them)',
    [
      'handlers',
      'streams',
      'consumers on the server',
      'cold boot ms (creates streams and consumers)',
      'ms per handler',
      'warm boot ms (all exist)',
      'RSS MB after boot',
      'heap MB',
    ],
    rows,
    ['"RSS" and "heap" are read after two forced GCs in the booted process (node --expose-gc).'],
  );
}

/** Acked publishes, 256 in flight: core publishes of a 1M backlog were dropped by a loaded server (670k of 1M stored). */
async function fillBacklog(nc: NatsConnection, jsm: JetStreamManager, stream: string, n: number): Promise<void> {
  await jsm.streams.purge(stream);
  const js = jetstream(nc);
  const body = new Uint8Array(1024).fill(120);
  let next = 0;
  const lane = async () => {
    while (next < n) {
      next++;
      await js.publish(workSubject, body);
    }
  };
  await Promise.all(Array.from({ length: 256 }, lane));
  await until(`${n} messages stored`, async () => (await jsm.streams.info(stream)).state.messages >= n);
}

async function rssCurve(url: string, nc: NatsConnection, jsm: JetStreamManager): Promise<string> {
  const stream = 'SCALE_RSS';
  await jsm.streams.add({ name: stream, subjects: [workSubject] });
  const rows: (string | number)[][] = [];
  let youngNote = '';
  try {
    // RSS of an idle process varies by several MB from one start to the next: the median of REPEATS, interleaved.
    const baselines: ChildResult[] = [];
    const empties: ChildResult[] = [];
    for (let i = 0; i < REPEATS; i++) {
      baselines.push(await inChild({ kind: 'baseline' }));
      empties.push(await inChild({ kind: 'ours-empty', url }));
    }
    const baseline = { rssMb: median(baselines.map((r) => r.rssMb)), heapMb: median(baselines.map((r) => r.heapMb)) };
    const youngOf = (rs: ChildResult[]) => fixed(median(rs.map((r) => r.spaces?.new_space?.committedMb ?? NaN)), 1);
    youngNote = `Young generation (V8's new space, both semi-spaces) idle: ${youngOf(baselines)} MB for the baseline, ${youngOf(empties)} MB for ours with no handlers (medians).`;
    const empty = { rssMb: median(empties.map((r) => r.rssMb)), heapMb: median(empties.map((r) => r.heapMb)) };
    const spread = (rs: ChildResult[]) => `${fixed(Math.min(...rs.map((r) => r.rssMb)), 1)} to ${fixed(Math.max(...rs.map((r) => r.rssMb)), 1)}`;
    rows.push([
      `Nest microservice, trivial custom transport, no handlers (median of ${REPEATS}: ${spread(baselines)})`,
      '-',
      fixed(baseline.rssMb, 1),
      fixed(baseline.heapMb, 1),
      '-',
      '-',
      '0',
    ]);
    rows.push([
      `ours, no handlers, connected (median of ${REPEATS}: ${spread(empties)})`,
      '-',
      fixed(empty.rssMb, 1),
      fixed(empty.heapMb, 1),
      '-',
      '-',
      fixed(empty.rssMb - baseline.rssMb, 1),
    ]);
    for (const backlog of QUICK ? [100_000] : [100_000, 1_000_000]) {
      await fillBacklog(nc, jsm, stream, backlog);
      const ours = await inChild({ kind: 'ours-drain', url, messages: backlog });
      await jsm.consumers.delete(stream, 'scale_work');
      const raw = await inChild({ kind: 'raw-drain', url, messages: backlog });
      const floor = await inChild({ kind: 'nest-raw-drain', url, messages: backlog });
      const asyncFloor = await inChild({ kind: 'nest-raw-drain', url, messages: backlog, async: true });
      const drains: [string, ChildResult, boolean][] = [
        [`ours, one handler draining ${backlog} × 1 KiB`, ours, true],
        [`raw @nats-io/jetstream (no Nest), consume callback, draining ${backlog}`, raw, false],
        [`the floor: the empty Nest microservice beside raw @nats-io/jetstream, a synchronous callback, draining ${backlog}`, floor, true],
        [`the floor for async handlers: the same, each message handed to an async function that acks after one await, draining ${backlog}`, asyncFloor, true],
      ];
      for (const [what, r, inNest] of drains) {
        rows.push([
          `${what} (V8 heap held ${fixed(r.heapTotalMb ?? NaN, 1)} MB, of it young generation ${young(r)} MB; external ${fixed(r.externalMb ?? NaN, 1)} MB)`,
          fixed(r.peakRssMb ?? NaN, 1),
          fixed(r.rssMb, 1),
          fixed(r.heapMb, 1),
          fixed(r.rate ?? NaN),
          inNest ? fixed((r.peakRssMb ?? NaN) - baseline.rssMb, 1) : '-',
          inNest ? fixed(r.rssMb - baseline.rssMb, 1) : '-',
        ]);
      }
      progress(
        `rss: ${backlog}: ours peak ${fixed(ours.peakRssMb ?? NaN, 1)} MB, async floor ${fixed(asyncFloor.peakRssMb ?? NaN, 1)} MB, raw ${fixed(raw.peakRssMb ?? NaN, 1)} MB`,
      );
    }
  } finally {
    await jsm.streams.delete(stream);
  }
  return table(
    'RSS: an empty Nest microservice beside ours (each in a fresh process)',
    ['process', 'peak RSS MB while draining', 'RSS MB idle (after 2 GCs)', 'heap MB', 'drain msgs/s', 'peak above baseline MB', 'idle above baseline MB'],
    rows,
    [
      `Peak RSS is sampled every 50 ms while the backlog drains (concurrency ${process.env.SCALE_RSS_CONCURRENCY ?? 100}, default prefetch); idle figures after two forced GCs.`,
      youngNote,
    ],
  );
}

async function main(): Promise<void> {
  const started = new Date();
  const loadAtStart = load();
  // max_payload 8MB: the payload curve goes to 1 MiB, which the default 1MB limit refuses with its headers.
  const server = await NatsServer.start({ config: 'max_payload: 8MB' });
  const nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  const ttlSupported = /^2\.(1[1-9]|[2-9]\d)\./.test(server.version);
  const sections: string[] = [];
  const curve = async (name: string, fn: () => Promise<string>) => {
    if (!wanted(name)) return;
    progress(`curve ${name} (load ${load()})`);
    const at = performance.now();
    // A curve that fails is reported as such; the others still run and are kept.
    const section = await fn().catch((err: unknown) => `### Curve ${name}: failed\n\n${err instanceof Error ? err.message : String(err)}\n`);
    sections.push(section);
    console.log(section);
    progress(`curve ${name} took ${fixed((performance.now() - at) / 1000)} s`);
  };
  try {
    await curve('boot', () => bootCurve(server.url, jsm));
    await curve('publish', () => publishCurve(server.url, nc, jsm, ttlSupported));
    if (wanted('payload') || wanted('handler'))
      await curve(wanted('payload') ? 'payload' : 'handler', () =>
        drainCurves(server.url, nc, jsm, { payload: wanted('payload'), handler: wanted('handler') }),
      );
    await curve('instances', () => instancesCurve(server.url, server.pid, nc, jsm));
    await curve('rss', () => rssCurve(server.url, nc, jsm));
  } finally {
    await nc.close();
    await server.stop();
  }
  const command = `npm run bench:scale${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const header = [
    `## Cost curves (#24), ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC${QUICK ? ', quick run' : ''}`,
    '',
    `${machineLine()}, nats-server ${server.version}, client and server on the same machine. Command: \`${command}\`.`,
    `The machine is shared with other developers' builds and tests while this runs (1-minute load average ${loadAtStart} at the start, ${load()} at the end, on 2 cores): compare figures within one table, not across runs.`,
    '',
  ].join('\n');
  const text = `${header}\n${sections.join('\n')}`;
  console.log(header);
  if (APPEND) appendFileSync(join(__dirname, 'RESULTS.md'), `\n${text}`);
}

run(main);
