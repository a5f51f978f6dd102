// What every bench shares: filling a stream, timing a phase, rotating phases over rounds, printing tables.
import { cpus, totalmem } from 'node:os';
import type { JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';

export const N = Number(process.env.BENCH_MESSAGES ?? 100_000);
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
export const WINDOW = 256;
export const SIZE = 1024;
export const payload = new Uint8Array(SIZE).fill(120);

/** Fills `stream` with N core-published messages on `subject` and waits until all are stored. */
export async function fill(nc: NatsConnection, jsm: JetStreamManager, stream = 'DRAIN', subject = 'bench.drain'): Promise<void> {
  await jsm.streams.purge(stream);
  for (let i = 0; i < N; i++) {
    nc.publish(subject, payload);
    if (i % 5000 === 0) await nc.flush();
  }
  await nc.flush();
  while ((await jsm.streams.info(stream)).state.messages < N) await new Promise((r) => setTimeout(r, 50));
}

/** What one phase measured: messages per second, and Node CPU (user + system) per message in µs. */
export interface Measure {
  rate: number;
  cpuUs: number;
}

/** `n` messages took `ms` and the CPU since `cpuStart`. */
export function measured(n: number, ms: number, cpuStart: NodeJS.CpuUsage): Measure {
  const used = process.cpuUsage(cpuStart);
  return { rate: (n / ms) * 1000, cpuUs: (used.user + used.system) / n };
}

/** `n` publishes through `publish`, WINDOW in flight. */
export async function window(publish: (i: number) => Promise<unknown>, n = N): Promise<Measure> {
  let next = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const lane = async () => {
    while (next < n) await publish(next++);
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
  return measured(n, performance.now() - started, cpu);
}

/** Progress on stderr; the tables go to stdout. */
export const progress = (line: string) => process.stderr.write(`${line}\n`);

/**
 * Runs every phase once, in an order rotated by `round` (so each takes each position as often as
 * the rounds allow), before each one `prepare()`; returns what each measured.
 */
export async function runRound<K extends string>(
  round: number,
  what: string,
  phases: Record<K, () => Promise<Measure>>,
  prepare: () => Promise<unknown>,
): Promise<Record<K, Measure>> {
  const names = Object.keys(phases) as K[];
  const k = (round - 1) % names.length;
  const out = {} as Record<K, Measure>;
  for (const name of [...names.slice(k), ...names.slice(0, k)]) {
    await prepare();
    out[name] = await phases[name]();
    progress(`round ${round}: ${name} ${what} ${out[name].rate.toFixed(0)}/s`);
  }
  return out;
}

export function printTable(title: string, head: string[], rows: string[][]): void {
  const ratioColumns = new Set(head.flatMap((h, i) => (h.startsWith('ratio') ? [i] : [])));
  const median = (col: number) => {
    const v = rows
      .map((r) => Number(r[col]))
      .filter((x) => !Number.isNaN(x))
      .sort((a, b) => a - b);
    if (!v.length) return '-';
    const m = v.length / 2;
    return (v.length % 2 ? v[Math.floor(m)] : (v[m - 1] + v[m]) / 2).toFixed(ratioColumns.has(col) ? 2 : 1);
  };
  console.log(`\n${title}\n`);
  console.log(`| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(
    `| median | ${head
      .slice(1)
      .map((_, i) => median(i + 1))
      .join(' | ')} |`,
  );
}

/** The machine line every result table starts with. */
export function machineLine(): string {
  return `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

/** Runs `main` and exits with its outcome. */
export function run(main: () => Promise<void>): void {
  void main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

/** A raw drain: N messages counted through `start`'s callback (acked each when `ack`), timed from the first. */
export async function countedDrain(start: (callback: (m: JsMsg) => void) => Promise<{ close(): Promise<unknown> }>, ack: boolean): Promise<Measure> {
  let n = 0;
  let started = 0;
  let cpu = process.cpuUsage();
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const messages = await start((m) => {
    if (n === 0) {
      started = performance.now();
      cpu = process.cpuUsage();
    }
    if (ack) m.ack();
    if (++n === N) resolveDone();
  });
  await done;
  const result = measured(N, performance.now() - started, cpu);
  await messages.close();
  return result;
}
