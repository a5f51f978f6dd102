import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { NatsServer } from '@nest-jetstream/testing';
import { parseAllDocuments } from 'yaml';
import { bootCliTestApp } from '../__fixtures__/boot-cli-test-app.js';
import { CLI_TEST_APP, runCliHere, runCliProcess } from '../__fixtures__/cli-process.js';
import type { ScaledObjectManifest } from '../k8s/scaled-objects.js';

// `nest-jetstream k8s`: KEDA ScaledObjects that validate against KEDA's schema, whose every trigger
// names a stream and consumer the running app really has; and deploy/k8s/autoscaling.yaml is what
// the command generates for the example services (npm run k8s rewrites it).

const root = join(__dirname, '../../../../..');

describe('nest-jetstream k8s (real nats-server)', () => {
  let server: NatsServer;
  const dir = mkdtempSync(join(tmpdir(), 'cli-k8s-'));

  beforeAll(async () => {
    server = await NatsServer.start();
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes one valid ScaledObject per app, a trigger per shared consumer the running app has, thresholds from the handlers' options", async () => {
    const out = join(dir, 'autoscaling.yaml');
    const run = await runCliProcess(['k8s', '--app', CLI_TEST_APP, '--account', 'APP', '--namespace', 'shop', '--max-replicas', '6', '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const docs = parseAllDocuments(readFileSync(out, 'utf8')).map((d) => d.toJS() as ScaledObjectManifest);
    expect(docs).toHaveLength(1);
    for (const doc of docs) expect(() => new ScaledObject(doc as unknown as ConstructorParameters<typeof ScaledObject>[0]).validate()).not.toThrow();
    const [so] = docs;
    expect(so.metadata).toMatchObject({ name: 'clitest-service', namespace: 'shop' });
    expect(so.spec).toMatchObject({ scaleTargetRef: { kind: 'Deployment', name: 'clitest-service' }, minReplicaCount: 1, maxReplicaCount: 6 });
    const byConsumer = Object.fromEntries(so.spec.triggers.map((t) => [t.metadata.consumer, t.metadata]));
    // The broadcast handler (a consumer per instance) gets no trigger.
    expect(Object.keys(byConsumer).sort()).toEqual(['clitest__clitest_audit', 'clitest__clitest_work', 'clitest__clitestjobs_run']);
    expect(byConsumer.clitest__clitest_work).toMatchObject({ stream: 'CLITEST', lagThreshold: '25', activationLagThreshold: '5', account: 'APP' });
    expect(byConsumer.clitest__clitest_audit).toMatchObject({ lagThreshold: '40' });
    expect(byConsumer.clitest__clitestjobs_run).toMatchObject({ stream: 'CLITEST_JOBS', lagThreshold: '100' });
    expect(byConsumer.clitest__clitest_work.natsServerMonitoringEndpoint).toBe('nats.shop.svc.cluster.local:8222');

    const app = await bootCliTestApp(server.url);
    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      for (const t of so.spec.triggers) expect((await jsm.consumers.info(t.metadata.stream, t.metadata.consumer)).name).toBe(t.metadata.consumer);
    } finally {
      await nc.close();
      await app.close();
    }
  });

  it('an invalid ScaledObject does not validate (the check can fail)', () => {
    const bad = { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'x' }, spec: { scaleTargetRef: { name: 'x' }, triggers: 'none' } };
    expect(() => new ScaledObject(bad as unknown as ConstructorParameters<typeof ScaledObject>[0]).validate()).toThrow();
  });

  it('--check fails (exit 7) when the file differs, and passes when it matches', async () => {
    const out = join(dir, 'check.yaml');
    writeFileSync(out, '# stale\n');
    const args = ['k8s', '--app', CLI_TEST_APP, '--out', out];
    const stale = await runCliHere([...args, '--check']);
    expect(stale.code).toBe(7);
    expect(stale.stdout).toMatch(/differs from what the apps generate/);
    expect((await runCliHere(args)).code).toBe(0);
    expect((await runCliHere([...args, '--check'])).code).toBe(0);
  });

  it('deploy/k8s/autoscaling.yaml is what the command generates for the example services (run npm run k8s after changing a handler)', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const args = pkg.scripts.k8s.split(' ').slice(pkg.scripts.k8s.split(' ').indexOf('k8s'));
    const run = await runCliHere([...args.map((a) => (a.startsWith('examples/') || a.startsWith('deploy/') ? join(root, a) : a)), '--check']);
    expect(run.stdout).toMatch(/is up to date \(2 ScaledObject\(s\)\)/);
    expect(run.code).toBe(0);
    const docs = parseAllDocuments(readFileSync(join(root, 'deploy/k8s/autoscaling.yaml'), 'utf8')).map((d) => d.toJS() as ScaledObjectManifest);
    for (const doc of docs) expect(() => new ScaledObject(doc as unknown as ConstructorParameters<typeof ScaledObject>[0]).validate()).not.toThrow();
    expect(docs.map((d) => d.spec.scaleTargetRef.name).sort()).toEqual(['inventory-service', 'orders-service']);
  });
});
