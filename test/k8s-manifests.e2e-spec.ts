import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { resolveNatsServerBinary } from '@nest-jetstream/testing';

// deploy/k8s: valid against the Kubernetes schemas, what an operator needs (3 replicas spread over
// nodes, volumes, limits, probes, a disruption budget, private ports), the NATS config a real
// nats-server accepts, with the same JetStream settings as deploy/nats.

const root = join(__dirname, '..');
const files = ['deploy/k8s/nats.yaml', 'deploy/k8s/services.yaml'].map((f) => join(root, f));
type Manifest = { kind: string; metadata: { name: string }; [k: string]: unknown };
const manifests: Manifest[] = files.flatMap((f) => parseAllDocuments(readFileSync(f, 'utf8')).map((d) => d.toJS() as Manifest));
const find = (kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: root, env }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }));
  });
}

describe('Kubernetes manifests', () => {
  it('validate against the Kubernetes schemas (and an invalid one does not)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-'));
    try {
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: { name: bad }\nspec: { replicas: three, selector: {}, serviceName: x, template: {} }\n');
      const { out } = await run(process.execPath, [join(__dirname, 'k8s/validate-manifests.mjs'), ...files, bad]);
      const results = out.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; name: string; valid: boolean; error?: string });
      expect(results.filter((r) => r.name !== 'bad' && !r.valid)).toEqual([]);
      expect(results.map((r) => r.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'Secret', 'Secret', 'Service', 'Service', 'StatefulSet', 'StatefulSet']);
      expect(results.find((r) => r.name === 'bad')?.valid).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('run NATS as a 3-replica StatefulSet spread over nodes, with volumes, limits, probes, a PDB and private ports', () => {
    const sts = find('StatefulSet', 'nats');
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe('kubernetes.io/hostname');
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBeDefined();
    const nats = sts.spec.template.spec.containers[0];
    expect(nats.resources.requests).toBeDefined();
    expect(nats.resources.limits).toBeDefined();
    expect(nats.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 8222 });
    expect(nats.readinessProbe.httpGet).toMatchObject({ path: '/healthz?js-enabled-only=true', port: 8222 });
    expect(find('Service', 'nats-headless').spec.clusterIP).toBe('None');
    expect(find('PodDisruptionBudget', 'nats').spec.minAvailable).toBe(2);
    const ingress = find('NetworkPolicy', 'nats').spec.ingress as { from: unknown[]; ports: { port: number }[] }[];
    expect(ingress.find((r) => r.ports.some((p) => p.port === 4222))?.from).toEqual([{ podSelector: { matchLabels: { 'nats-client': 'true' } } }]);
    for (const name of ['orders-service', 'inventory-service']) {
      const c = find('Deployment', name).spec.template.spec.containers[0];
      expect(c.livenessProbe.httpGet.path).toBe('/health/live');
      expect(c.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(c.env.find((e: { name: string }) => e.name === 'NATS_PASS').valueFrom.secretKeyRef.name).toBe('nats-service-credentials');
      expect(find('Deployment', name).spec.template.metadata.labels['nats-client']).toBe('true');
    }
  });

  it('give nats-server a config it accepts, with the JetStream settings of deploy/nats', async () => {
    const conf = find('ConfigMap', 'nats-config').data['nats.conf'] as string;
    const auth = find('Secret', 'nats-auth').stringData['auth.conf'] as string;
    const block = (text: string) => /jetstream \{([^}]*)\}/.exec(text)![1].split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && !l.startsWith('store_dir'));
    expect(block(conf)).toEqual(block(readFileSync(join(root, 'deploy/nats/nats-1.conf'), 'utf8')));
    const dir = mkdtempSync(join(tmpdir(), 'k8s-conf-'));
    try {
      mkdirSync(join(dir, 'auth'));
      writeFileSync(join(dir, 'nats.conf'), conf);
      writeFileSync(join(dir, 'auth', 'auth.conf'), auth);
      const { code, out } = await run(resolveNatsServerBinary({ ...process.env, NATS_SERVER_VERSION: 'newest' }, root), ['-c', join(dir, 'nats.conf'), '-t'], { ...process.env, POD_NAME: 'nats-0' });
      expect(out).toMatch(/configuration file .* is valid/);
      expect(code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
