// The recovery report of `npm run faults`: each scenario's worst and mean pause in handling and in
// PubAcks over its repetitions (FAULTS_REPEAT), and which ones exceed the bound. A report, not an
// assertion: the pause depends on the machine's load, the guarantees do not.
import type { FaultReport } from './workload/workload';

/** The bound of issue #26: the server's election time (about 5 s here) plus 3 s. FAULTS_BOUND_MS overrides it. */
export const DEFAULT_PAUSE_BOUND_MS = 8_000;

export interface PauseSummary {
  scenario: string;
  server: string;
  /** Faults measured (rows with a handling pause). */
  faults: number;
  worstMs?: number;
  meanMs?: number;
  publishWorstMs?: number;
  publishMeanMs?: number;
  /** The worst handling or PubAck pause is above the bound. */
  exceeds: boolean;
}

const stats = (values: number[]): { worst?: number; mean?: number } =>
  values.length === 0 ? {} : { worst: Math.max(...values), mean: values.reduce((a, b) => a + b, 0) / values.length };

/** Groups the rows by scenario and server, in the order they first came. */
export function summarizePauses(rows: FaultReport[], boundMs: number): PauseSummary[] {
  const groups = new Map<string, FaultReport[]>();
  for (const r of rows) {
    if (r.recoverMs === undefined && r.publishPauseMs === undefined) continue;
    const key = `${r.scenario}\u0000${r.server}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const handling = stats(g.flatMap((r) => (r.recoverMs === undefined ? [] : [r.recoverMs])));
    const publishing = stats(g.flatMap((r) => (r.publishPauseMs === undefined ? [] : [r.publishPauseMs])));
    return {
      scenario: g[0].scenario,
      server: g[0].server,
      faults: g.length,
      worstMs: handling.worst,
      meanMs: handling.mean,
      publishWorstMs: publishing.worst,
      publishMeanMs: publishing.mean,
      exceeds: (handling.worst ?? 0) > boundMs || (publishing.worst ?? 0) > boundMs,
    };
  });
}

const secs = (ms?: number): string => (ms === undefined ? '' : `${(ms / 1000).toFixed(1)} s`);

/** The summary as the markdown table of docs/reliability.md, and a line naming what exceeds the bound. */
export function formatPauseSummary(summary: PauseSummary[], boundMs: number): string[] {
  const out = [
    `| scenario | nats-server | faults | handling pause: worst | mean | PubAck pause: worst | mean | over ${secs(boundMs)} |`,
    '|---|---|---|---|---|---|---|---|',
    ...summary.map(
      (s) =>
        `| ${s.scenario} | ${s.server} | ${s.faults} | ${secs(s.worstMs)} | ${secs(s.meanMs)} | ${secs(s.publishWorstMs)} | ${secs(s.publishMeanMs)} | ${s.exceeds ? 'EXCEEDS' : 'within'} |`,
    ),
  ];
  const over = summary.filter((s) => s.exceeds);
  out.push(
    '',
    over.length ? `Over the bound of ${secs(boundMs)}: ${over.map((s) => s.scenario).join('; ')}` : `Every scenario within the bound of ${secs(boundMs)}.`,
  );
  return out;
}
