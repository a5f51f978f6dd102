import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsCluster, resolveNatsServerBinary } from '@nest-jetstream/testing';
import { PASSWORD_ENV } from '../examples/demo/identities';

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
    execFile(cmd, args, { cwd: root, env }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

describe('Kubernetes manifests', () => {
  it('validate against the Kubernetes schemas (and an invalid one does not)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-'));
    try {
      const bad = join(dir, 'bad.yaml');
      writeFileSync(
        bad,
        'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: { name: bad }\nspec: { replicas: three, selector: {}, serviceName: x, template: {} }\n',
      );
      const { out } = await run(process.execPath, [join(__dirname, 'k8s/validate-manifests.mjs'), ...files, bad]);
      const results = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind: string; name: string; valid: boolean; error?: string });
      expect(results.filter((r) => r.name !== 'bad' && !r.valid)).toEqual([]);
      expect(results.map((r) => r.kind).sort()).toEqual([
        'ConfigMap',
        'Deployment',
        'Deployment',
        'Job',
        'Job',
        'NetworkPolicy',
        'PodDisruptionBudget',
        'Secret',
        'Service',
        'Service',
        'StatefulSet',
        'StatefulSet',
      ]);
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
      expect(find('Deployment', name).spec.template.metadata.labels['nats-client']).toBe('true');
    }
  });

  it('run each service as its own identity in verify mode, after a provisioning Job as admin', () => {
    type Env = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
    const from = ({ value, valueFrom }: Env) =>
      value ?? (valueFrom?.secretKeyRef ? `secret ${valueFrom.secretKeyRef.name}/${valueFrom.secretKeyRef.key}` : 'elsewhere');
    const envOf = (c: { env: Env[] }) => Object.fromEntries(c.env.map((e) => [e.name, from(e)]));
    const secret = find('Secret', 'nats-passwords').stringData as Record<string, string>;
    const natsEnv = envOf(find('StatefulSet', 'nats').spec.template.spec.containers[0]);
    for (const [user, variable] of Object.entries(PASSWORD_ENV)) {
      expect(natsEnv[variable]).toBe(`secret nats-passwords/${user}`);
      expect(secret).toHaveProperty(user);
    }
    for (const name of ['orders-service', 'inventory-service']) {
      expect(envOf(find('Deployment', name).spec.template.spec.containers[0])).toMatchObject({
        NATS_USER: name,
        NATS_PASS: `secret nats-passwords/${name}`,
        NATS_PROVISIONING: 'verify',
      });
      const job = find('Job', `${name}-provision`).spec.template.spec;
      expect(job.containers[0].image).toBe(find('Deployment', name).spec.template.spec.containers[0].image);
      expect(envOf(job.containers[0])).toMatchObject({
        NATS_USER: 'admin',
        NATS_PASS: 'secret nats-passwords/admin',
        NATS_PROVISIONING: 'create-or-update',
        NATS_PROVISION_ONLY: 'true',
      });
    }
  });

  it('give nats-server a config it accepts, with the JetStream settings and the accounts of deploy/nats', async () => {
    const data = find('ConfigMap', 'nats-config').data as Record<string, string>;
    const conf = data['nats.conf'];
    const block = (text: string) =>
      /jetstream \{([^}]*)\}/
        .exec(text)![1]
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#') && !l.startsWith('store_dir'));
    expect(block(conf)).toEqual(block(readFileSync(join(root, 'deploy/nats/nats-1.conf'), 'utf8')));
    expect(conf).toMatch(/^include \.\/accounts\.conf$/m);
    expect(data['accounts.conf']).toBe(readFileSync(join(root, 'deploy/nats/accounts.conf'), 'utf8'));
    const dir = mkdtempSync(join(tmpdir(), 'k8s-conf-'));
    try {
      writeFileSync(join(dir, 'nats.conf'), conf);
      writeFileSync(join(dir, 'accounts.conf'), data['accounts.conf']);
      const passwords = Object.fromEntries(Object.values(PASSWORD_ENV).map((v) => [v, 'secret']));
      const nats = resolveNatsServerBinary({ ...process.env, NATS_SERVER_VERSION: 'newest' }, root);
      const ok = await run(nats, ['-c', join(dir, 'nats.conf'), '-t'], { ...process.env, POD_NAME: 'nats-0', ...passwords });
      expect(ok.out).toMatch(/configuration file .* is valid/);
      expect(ok.code).toBe(0);
      // Without a password in its environment, nats-server refuses the config.
      const { NATS_SYS_PASSWORD: _unset, ...missing } = passwords;
      const refused = await run(nats, ['-c', join(dir, 'nats.conf'), '-t'], { ...process.env, POD_NAME: 'nats-0', ...missing });
      expect(refused.out).toMatch(/NATS_SYS_PASSWORD/);
      expect(refused.code).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('run as a real 3-node cluster in the launcher from the ConfigMap (POD_NAME per node, ports moved to loopback)', async () => {
    const data = find('ConfigMap', 'nats-config').data as Record<string, string>;
    const dir = mkdtempSync(join(tmpdir(), 'k8s-cluster-'));
    const passwords = Object.fromEntries(Object.values(PASSWORD_ENV).map((v) => [v, `pw-${v}`]));
    let cluster: NatsCluster | undefined;
    try {
      writeFileSync(join(dir, 'accounts.conf'), data['accounts.conf']);
      // What Kubernetes does for each pod of the StatefulSet: $POD_NAME is the pod's name.
      const files = [0, 1, 2].map((i) => {
        const file = join(dir, `nats-${i}.conf`);
        writeFileSync(file, data['nats.conf'].replace('server_name: $POD_NAME', `server_name: nats-${i}`));
        return file;
      });
      cluster = await NatsCluster.start({ configFiles: files, env: passwords });
      expect(cluster.servers.map((s) => s.serverName)).toEqual(['nats-0', 'nats-1', 'nats-2']);
      const nc = await connect({ servers: cluster.urls, user: 'admin', pass: passwords.NATS_ADMIN_PASSWORD });
      try {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.add({ name: 'K8S', subjects: ['k8s.>'], num_replicas: 3 });
        expect((await jetstream(nc).publish('k8s.x', 'hello')).stream).toBe('K8S');
        expect((await jsm.streams.info('K8S')).cluster?.replicas).toHaveLength(2);
      } finally {
        await nc.close();
      }
    } finally {
      await cluster?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
