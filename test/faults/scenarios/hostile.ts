// 9. Hostile input against a running consumer process: a burst of messages near the server's
// max_payload, a flood of messages whose decode fails (invalid UTF-8, not JSON), and a flood of
// good messages for a slow handler, all at once. The process's memory stays bounded (RSS sampled
// from /proc), it keeps answering its liveness probe, it never crashes, every decode failure is
// dead-lettered with its reason, and nothing acknowledged is lost. And nothing leaks: the heap
// after garbage collection and the process's active resources (timers, sockets, requests) are
// measured after a warm-up of each kind of input, and again once the input settled.
import { readFileSync } from 'node:fs';
import { NatsServer, resolveNatsServerBinary, waitFor } from '@nest-jetstream/testing';
import { JetStreamClient, RawCodec } from '@nest-jetstream/transport';
import { describeResources, mb, resourcesAbove, type MemorySnapshot } from '../workload/memory-snapshot';
import { Workload, type FaultReport } from '../workload/workload';
import type { RunOptions } from './sizes';

/**
 * The leak bounds, the same for any amount of input (hundreds of MB in `npm run faults`): what the
 * process retains after GC (heap used plus external memory: the buffers messages arrive in) may
 * grow by this much (lazily built caches, code compiled late), never by what went through.
 */
export const RETAINED_GROWTH_BOUND_MB = 20;
/**
 * Active resources of one type (Timeout, TCPSocketWrap...) may exceed the warm-up's by this many
 * once everything settled: room for a timer or request rightly in flight at the moment of looking
 * (a pull waiting for messages). A leak is one per message: thousands.
 */
export const RESOURCE_ALLOWANCE = 2;
/** The warm-up before the first measurement: a few of each kind of input, so that what is built once is built. */
const WARM_UP = { oversized: 4, decodeFailures: 40, good: 200 };

export interface HostileFigures {
  report: FaultReport;
  /** Inputs tried per class. */
  oversized: number;
  decodeFailures: number;
  flood: number;
  /** RSS of the consumer process, MB: after the warm-up, the most seen, and after everything settled. */
  rssStartMb: number;
  rssMaxMb: number;
  rssEndMb: number;
  /** Liveness probes sent while the input ran, answered "up", and anything else (must be 0). */
  probes: number;
  probesUp: number;
  probeFailures: string[];
  /** The longest run of failed probes: Kubernetes restarts a pod after 3 (failureThreshold's default). */
  maxFailedInARow: number;
  /** Whether the consumer process was still the one started at the beginning (no crash). */
  survived: boolean;
  /** Dead letters without a reason: must be 0. */
  deadWithoutReason: number;
  /** Inputs of the warm-up (in the report's counts too; the undecodable ones dead-lettered). */
  warmUp: typeof WARM_UP;
  /** The consumer process after the warm-up, and after the input settled (resources back within the allowance, or 30 s). */
  before: MemorySnapshot;
  after: MemorySnapshot;
  /** Growth after GC in MB: heap used, external (buffers), and both (must stay under RETAINED_GROWTH_BOUND_MB). */
  heapGrowthMb: number;
  externalGrowthMb: number;
  retainedGrowthMb: number;
  /** Resource types above the warm-up's count plus RESOURCE_ALLOWANCE: must be empty. */
  resourcesLeaked: string[];
}

async function memoryOf(url: string): Promise<MemorySnapshot> {
  const res = await fetch(`${url}/debug/memory`, { signal: AbortSignal.timeout(30_000) });
  const snapshot = (await res.json()) as MemorySnapshot;
  if (!snapshot.collected)
    throw new Error('the consumer app ran without --expose-gc: its heap cannot be measured after a collection (see Workload.startConsumer)');
  return snapshot;
}

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

/** Bytes that are not valid UTF-8, or not JSON: the JSON codec cannot decode any of them. */
function undecodable(i: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size).fill(0x61);
  if (i % 2 === 0)
    bytes.set([0xc3, 0x28, 0xff, 0xfe], Math.floor(size / 2)); // invalid UTF-8
  else bytes.set(new TextEncoder().encode('{"id": nope'), 0); // UTF-8, not JSON
  return bytes;
}

export async function hostile(opts: RunOptions): Promise<HostileFigures> {
  const server = await NatsServer.start({ binary: resolveNatsServerBinary({ ...process.env, NATS_SERVER_VERSION: opts.version }) });
  const w = new Workload({ urls: [server.url], consumerEnv: { FAULT_HEALTH: '1', FAULT_WORK_MS: '20', FAULT_CONCURRENCY: '8' } });
  const raw = new JetStreamClient({ connection: { servers: server.url, maxReconnectAttempts: -1 }, codec: new RawCodec() });
  const { oversized, decodeFailures, flood } = opts.size.hostile;
  let sampling = true;
  try {
    const consumer = await w.startConsumer();
    const pid = consumer.pid!;
    const maxPayload = (await raw.connect()).info?.max_payload ?? 1024 * 1024;
    // Near the limit, leaving room for the publish's own headers and a dead letter's.
    const bigSize = maxPayload - 4096;
    const enc = new TextEncoder();
    const pad = 'x'.repeat(bigSize - 64);
    const big = (prefix: string) => (i: number) => enc.encode(JSON.stringify({ id: `${prefix}-${i}`, pad }));
    // One in ten of the undecodable ones is near max_payload too: its dead letter must still fit.
    const bad = (i: number) => undecodable(i, i % 10 === 0 ? bigSize : 64);

    await Promise.all([
      publishRaw(w, raw, 'warm-big', WARM_UP.oversized, 4, big('warm-big'), false),
      publishRaw(w, raw, 'warm-bad', WARM_UP.decodeFailures, 8, bad, true),
      w.publish('warm', WARM_UP.good, { window: 32 }),
    ]);
    await w.settle(opts.size.settleMs);
    const before = await memoryOf(consumer.url);
    const rssStartMb = rssMb(pid);
    let rssMaxMb = rssStartMb;
    let probes = 0;
    let probesUp = 0;
    const probeFailures: string[] = [];
    let failedInARow = 0;
    let maxFailedInARow = 0;
    const sampler = (async () => {
      while (sampling) {
        rssMaxMb = Math.max(rssMaxMb, rssMb(pid));
        probes++;
        try {
          const res = await fetch(`${consumer.url}/live`, { signal: AbortSignal.timeout(10_000) });
          const body = (await res.json()) as { status: string };
          if (res.status === 200 && body.status === 'up') {
            probesUp++;
            failedInARow = 0;
          } else {
            probeFailures.push(`HTTP ${res.status} ${JSON.stringify(body)}`);
            maxFailedInARow = Math.max(maxFailedInARow, ++failedInARow);
          }
        } catch (err) {
          probeFailures.push(String(err));
          maxFailedInARow = Math.max(maxFailedInARow, ++failedInARow);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    await Promise.all([
      publishRaw(w, raw, 'big', oversized, 8, big('big'), false),
      publishRaw(w, raw, 'bad', decodeFailures, 64, bad, true),
      w.publish('flood', flood, { window: 256 }),
    ]);
    const published = Date.now();
    await w.settle(opts.size.settleMs + flood * 5);
    const settledS = (Date.now() - published) / 1000;
    sampling = false;
    await sampler;
    const rssEndMb = consumer.pid ? rssMb(pid) : 0;
    const survived = consumer.pid === pid;
    // Acks, dead letters and the probes' sockets wind down after the last handler call: wait for that, bounded.
    let after = before;
    let resourcesLeaked: string[] = [];
    if (survived) {
      await waitFor(
        "the consumer's active resources back to the warm-up's",
        async () => {
          after = await memoryOf(consumer.url);
          resourcesLeaked = resourcesAbove(before, after, RESOURCE_ALLOWANCE);
          return resourcesLeaked.length === 0;
        },
        { timeout: 30_000, interval: 1_000 },
      ).catch(() => undefined); // the figures say what stayed
    }
    const heapGrowthMb = mb(after.heapUsed - before.heapUsed);
    const externalGrowthMb = mb(after.external - before.external);
    const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
    const heap = `after GC, heap used ${mb(before.heapUsed).toFixed(1)} MB after the warm-up, ${mb(after.heapUsed).toFixed(1)} MB after (${signed(heapGrowthMb)} MB), external ${mb(before.external).toFixed(1)} → ${mb(after.external).toFixed(1)} MB (${signed(externalGrowthMb)} MB), RSS ${mb(before.rss).toFixed(0)} → ${mb(after.rss).toFixed(0)} MB; active resources ${describeResources(before)} → ${describeResources(after)}${resourcesLeaked.length ? ` (LEAKED: ${resourcesLeaked.join(', ')})` : ''}`;
    const report = await w.report(
      `hostile input: ${oversized} messages near max_payload, ${decodeFailures} undecodable, ${flood} for a 20 ms handler (concurrency 8), at once, after a warm-up of ${WARM_UP.oversized} + ${WARM_UP.decodeFailures} + ${WARM_UP.good}`,
      server.version,
      {
        notes: `everything settled ${settledS.toFixed(0)} s after the last publish; RSS ${rssStartMb.toFixed(0)} MB at start, at most ${rssMaxMb.toFixed(0)} MB, ${rssEndMb.toFixed(0)} MB after; ${probesUp}/${probes} liveness probes up, ${probeFailures.length} failed${probeFailures.length ? ` (${probeFailures.slice(0, 2).join('; ')})` : ''}; process ${survived ? 'never crashed' : 'CRASHED'}; ${w.deadWithoutReason} dead letters without a reason; ${heap}`,
      },
    );
    return {
      report,
      oversized,
      decodeFailures,
      flood,
      rssStartMb,
      rssMaxMb,
      rssEndMb,
      probes,
      probesUp,
      probeFailures,
      maxFailedInARow,
      survived,
      deadWithoutReason: w.deadWithoutReason,
      warmUp: WARM_UP,
      before,
      after,
      heapGrowthMb,
      externalGrowthMb,
      retainedGrowthMb: heapGrowthMb + externalGrowthMb,
      resourcesLeaked,
    };
  } finally {
    sampling = false;
    await raw.close().catch(() => undefined);
    await w.close();
    await server.stop();
  }
}

/** Publishes `count` raw payloads (`<prefix>-<i>` as msgId), `window` in flight, counted in the workload like its own. */
function publishRaw(
  w: Workload,
  raw: JetStreamClient,
  prefix: string,
  count: number,
  window: number,
  payload: (i: number) => Uint8Array,
  poison: boolean,
): Promise<void> {
  return w.publish(prefix, count, { window, client: raw, poison: () => poison, payload: (_id, _poison, i) => payload(i) });
}
