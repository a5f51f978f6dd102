import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { CronMetrics, JetStreamMetrics, KvIdempotencyMetrics } from '@nest-jetstream/transport/metrics';

// The alert rules and the dashboard operators deploy: valid for Prometheus (promtool), their
// alerts behave as their unit tests say, and every metric they use is one the library exports
// (or one of the two platform metrics the rules document).

const root = join(__dirname, '..');
const rules = join(root, 'deploy/prometheus/jetstream-rules.yml');
const dashboard = join(root, 'deploy/grafana/jetstream-dashboard.json');
const promtool = process.env.PROMTOOL_BIN ?? join(root, '.cache/promtool/promtool');
const PLATFORM_METRICS = new Set(['kubelet_volume_stats_used_bytes', 'kubelet_volume_stats_capacity_bytes', 'kube_pod_container_status_restarts_total']);

function run(args: string[], cwd = root): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(promtool, args, { cwd }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

async function exportedNames(): Promise<Set<string>> {
  const registry = new Registry();
  new JetStreamMetrics({ registry });
  new KvIdempotencyMetrics({ registry });
  new CronMetrics({ registry });
  const names = new Set<string>();
  for (const m of await registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) names.add(m.name + suffix);
  }
  return names;
}

const usedNames = (text: string) => new Set(text.match(/\b(nest_jetstream_[a-z_]+|kubelet_[a-z_]+|kube_[a-z_]+)\b/g) ?? []);

describe('alert rules and dashboard', () => {
  it('pass promtool check rules', async () => {
    const { code, out } = await run(['check', 'rules', rules]);
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
    expect(code).toBe(0);
  });

  it('fire as their promtool unit tests expect', async () => {
    const { code, out } = await run(['test', 'rules', 'jetstream-rules.test.yml'], join(root, 'deploy/prometheus'));
    expect(out).toMatch(/SUCCESS/);
    expect(code).toBe(0);
  });

  it('use only metrics the library exports (and the platform metrics the rules name)', async () => {
    const exported = await exportedNames();
    const used = [...usedNames(readFileSync(rules, 'utf8')), ...usedNames(readFileSync(dashboard, 'utf8'))];
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((n) => !exported.has(n) && !PLATFORM_METRICS.has(n))).toEqual([]);
    // And the dashboard shows every metric the library exports.
    const onDashboard = usedNames(readFileSync(dashboard, 'utf8'));
    const shown = (n: string) => onDashboard.has(n) || ['_bucket', '_count', '_sum'].some((s) => onDashboard.has(n + s));
    expect([...exported].filter((n) => !/_(bucket|count|sum)$/.test(n) && !shown(n))).toEqual([]);
  });
});
