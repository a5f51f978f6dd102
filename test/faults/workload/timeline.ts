// FAULT_TRACE=1: what happened after a fault, in ms from it, on stderr: the consumer app's log
// lines (debug included: the puller's statuses and checks, the leader guard's decisions, the
// connection's reconnects), its recoveries, the scenario's own marks (the election), and where
// the longest pauses in handling and in PubAcks began and ended. The evidence behind the pauses.
import { readFileSync } from 'node:fs';
import { longestGap, type Workload } from './workload';

const MAX_LINES = 80;

const readLines = (file: string): string[] => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

/** Prints the timeline of the fault at `t` (ms since epoch) when FAULT_TRACE=1; `marks` are the scenario's own (name → ms since epoch). */
export function printTimeline(label: string, w: Workload, t: number, marks: Record<string, number> = {}): void {
  if (process.env.FAULT_TRACE !== '1') return;
  const events: [number, string][] = [];
  for (const line of readLines(`${w.recordFile}.trace`)) {
    const [at, ...rest] = line.split(' ');
    if (Number(at) >= t - 1_000) events.push([Number(at), rest.join(' ').slice(0, 220)]);
  }
  for (const line of readLines(`${w.recordFile}.recoveries`)) {
    const [cause, at] = line.split(' ');
    if (Number(at) >= t) events.push([Number(at), `RECOVERY ${cause}`]);
  }
  for (const [name, at] of Object.entries(marks)) events.push([at, `MARK ${name}`]);
  const handled = [...w.calls().values()].flatMap((c) => c.at);
  const gap = longestGap(t, handled);
  if (gap) events.push([gap.from, 'HANDLING longest pause begins'], [gap.to, `HANDLING longest pause ends (${gap.to - gap.from} ms)`]);
  const first = handled.filter((a) => a >= t).sort((a, b) => a - b)[0];
  if (first !== undefined) events.push([first, 'HANDLING first call after the fault']);
  const acks = longestGap(t, w.ackTimes);
  if (acks) events.push([acks.from, 'PUBACK longest pause begins'], [acks.to, `PUBACK longest pause ends (${acks.to - acks.from} ms)`]);
  events.sort((a, b) => a[0] - b[0]);
  const out = [`timeline: ${label} (ms from the fault)`, ...events.slice(0, MAX_LINES).map(([at, what]) => `  ${String(at - t).padStart(7)} ${what}`)];
  process.stderr.write(`${out.join('\n')}\n`);
}
