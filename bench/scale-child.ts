// One measurement in a process of its own (memory figures are this process's alone), run by
// bench/scale.ts, compiled to plain JavaScript first (see scale-lib.ts), as `node --expose-gc scale-child.js <json>`.
// Prints one JSON line with what it measured.
// Everything is imported where a task needs it: the baseline's process loads Nest and nothing of ours.
import 'reflect-metadata';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

// SCALE_V8_RUNTIME_FLAGS: V8 flags this process sets on itself once started (what an app could do at run time).
if (process.env.SCALE_V8_RUNTIME_FLAGS) setFlagsFromString(process.env.SCALE_V8_RUNTIME_FLAGS);

export type ChildTask =
  | { kind: 'boot'; url: string; handlers: number; streams: number }
  | { kind: 'baseline' }
  | { kind: 'ours-empty'; url: string }
  | { kind: 'ours-drain'; url: string; messages: number }
  | { kind: 'raw-drain'; url: string; messages: number }
  /**
   * The floor of any Nest JetStream transport: the empty Nest microservice of `baseline`, booted, and
   * beside it raw `@nats-io/jetstream` draining (no decoding, as ours with its raw codec); `async` hands
   * each message to an async function that acks after an await, as a transport running async handlers must.
   */
  | { kind: 'nest-raw-drain'; url: string; messages: number; async?: boolean };

export interface ChildResult {
  bootMs?: number;
  /** RSS and heap in MB after two GCs, once idle (booted, or backlog drained). */
  rssMb: number;
  heapMb: number;
  /** What V8 holds for its heap (used or not), and memory outside it (Buffers), after the GCs. */
  heapTotalMb?: number;
  externalMb?: number;
  /** While draining: the highest RSS sampled every 50 ms. */
  peakRssMb?: number;
  rate?: number;
  /** While draining: this process's CPU time per message (µs). */
  cpuUs?: number;
  /** While draining: scavenges (minor) and mark-compacts (major, incremental marking counted in them). */
  gc?: { minor: number; major: number };
  /** V8's heap spaces after the GCs: MB committed (held) and used. */
  spaces?: Record<string, { committedMb: number; usedMb: number }>;
}

const MB = 2 ** 20;

async function settled(): Promise<Pick<ChildResult, 'rssMb' | 'heapMb' | 'heapTotalMb' | 'externalMb' | 'spaces'>> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 2; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 100));
  }
  const m = process.memoryUsage();
  return { rssMb: m.rss / MB, heapMb: m.heapUsed / MB, heapTotalMb: m.heapTotal / MB, externalMb: m.external / MB, spaces: heapSpaces() };
}

function heapSpaces(): ChildResult['spaces'] {
  const spaces: NonNullable<ChildResult['spaces']> = {};
  for (const s of getHeapSpaceStatistics()) spaces[s.space_name] = { committedMb: s.physical_space_size / MB, usedMb: s.space_used_size / MB };
  return spaces;
}

/** Counts the GCs until the returned function is called. */
function countGcs(): () => { minor: number; major: number } {
  const counts = { minor: 0, major: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) counts.minor++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) counts.major++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    observer.disconnect();
    return counts;
  };
}

/** Samples RSS until `done` resolves; the peak. */
async function peakWhile(done: Promise<unknown>): Promise<number> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  await done;
  clearInterval(timer);
  return Math.max(peak, process.memoryUsage.rss()) / MB;
}

function counted(messages: number): { done: Promise<void>; tick: () => void; rate: () => number; cpuUs: () => number } {
  let n = 0;
  let first = 0;
  let last = 0;
  let cpuAtFirst = process.cpuUsage();
  let cpu = { user: 0, system: 0 };
  let resolve: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolve = r));
  return {
    done,
    tick: () => {
      if (n === 0) {
        first = performance.now();
        cpuAtFirst = process.cpuUsage();
      }
      if (++n === messages) {
        last = performance.now();
        cpu = process.cpuUsage(cpuAtFirst);
        resolve();
      }
    },
    rate: () => (messages / (last - first)) * 1000,
    cpuUs: () => (cpu.user + cpu.system) / messages,
  };
}

async function main(task: ChildTask): Promise<ChildResult> {
  switch (task.kind) {
    case 'boot': {
      const { manyHandlersModule, startOurs, streamName } = await import('./scale-apps.js');
      const module = manyHandlersModule(task.handlers, task.streams);
      const streams = Array.from({ length: task.streams }, (_, j) => ({ name: streamName(j), subjects: [`scale.${j}.>`] }));
      const started = performance.now();
      const app = await startOurs(task.url, module, { streams });
      const bootMs = performance.now() - started;
      const memory = await settled();
      await app.close();
      return { bootMs, ...memory };
    }
    case 'baseline': {
      const { NestFactory } = await import('@nestjs/core');
      const { EmptyModule, NoopTransport } = await import('./scale-baseline.js');
      const started = performance.now();
      const app = await NestFactory.createMicroservice(EmptyModule, { strategy: new NoopTransport(), logger: ['error'] });
      await app.listen();
      const bootMs = performance.now() - started;
      const memory = await settled();
      await app.close();
      return { bootMs, ...memory };
    }
    case 'ours-empty': {
      const { startOurs } = await import('./scale-apps.js');
      const { EmptyModule } = await import('./scale-baseline.js');
      const started = performance.now();
      const app = await startOurs(task.url, EmptyModule);
      const bootMs = performance.now() - started;
      const memory = await settled();
      await app.close();
      return { bootMs, ...memory };
    }
    case 'ours-drain': {
      const { startOurs, work, workModule } = await import('./scale-apps.js');
      const count = counted(task.messages);
      work.handlerMs = 0;
      work.seen = count.tick;
      // SCALE_RSS_CONCURRENCY: the draining handler's concurrency (100 by default; 10 is the library's default).
      const app = await startOurs(task.url, workModule(Number(process.env.SCALE_RSS_CONCURRENCY ?? 100)));
      const gcs = countGcs();
      const peakRssMb = await peakWhile(count.done);
      const gc = gcs();
      const memory = await settled();
      await app.close();
      return { peakRssMb, rate: count.rate(), cpuUs: count.cpuUs(), gc, ...memory };
    }
    case 'raw-drain':
      return rawDrain(task.url, task.messages, 'scale_raw', false);
    case 'nest-raw-drain': {
      const { NestFactory } = await import('@nestjs/core');
      const { EmptyModule, NoopTransport } = await import('./scale-baseline.js');
      const app = await NestFactory.createMicroservice(EmptyModule, { strategy: new NoopTransport(), logger: ['error'] });
      await app.listen();
      const result = await rawDrain(task.url, task.messages, 'scale_nest_raw', task.async === true);
      await app.close();
      return result;
    }
  }
}

/**
 * Raw `@nats-io/jetstream` drains `messages` with a consume callback (batches of 1000, `max_ack_pending` 10,000),
 * acking in the callback, or, with `viaAsyncFunction`, in an async function after one await.
 */
async function rawDrain(url: string, messages: number, durable: string, viaAsyncFunction: boolean): Promise<ChildResult> {
  const { AckPolicy, jetstream, jetstreamManager } = await import('@nats-io/jetstream');
  const { connect } = await import('@nats-io/transport-node');
  const workSubject = 'scale.work'; // scale-apps' workSubject, not imported: this process holds no code of ours
  const count = counted(messages);
  const nc = await connect({ servers: url });
  const jsm = await jetstreamManager(nc);
  const stream = await jsm.streams.find(workSubject);
  await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, filter_subject: workSubject, max_ack_pending: 10_000 });
  const consumer = await jetstream(nc).consumers.get(stream, durable);
  const handle = async (m: { ack: () => void }): Promise<void> => {
    await null;
    m.ack();
    count.tick();
  };
  const consumed = await consumer.consume({
    max_messages: 1000,
    callback: viaAsyncFunction
      ? (m) => void handle(m)
      : (m) => {
          m.ack();
          count.tick();
        },
  });
  const gcs = countGcs();
  const peakRssMb = await peakWhile(count.done);
  const gc = gcs();
  const memory = await settled();
  await consumed.close();
  await jsm.consumers.delete(stream, durable);
  await nc.close();
  return { peakRssMb, rate: count.rate(), cpuUs: count.cpuUs(), gc, ...memory };
}

void main(JSON.parse(process.argv[2] ?? '{}') as ChildTask).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
