// Docker cannot run here, so this keeps docker-compose.yml honest: everything it names exists,
// and its NATS config files are the ones the cluster tests start (see packages/testing).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ENV } from '@nest-jetstream/example-shared';
import { PASSWORD_ENV, type ServiceUser } from '../examples/demo/identities';

const ROOT = join(__dirname, '..');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  volumes?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown>;
  healthcheck?: { test: string[] };
  profiles?: string[];
  ports?: string[];
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, Service>;
    volumes: Record<string, unknown>;
  };
  const services = Object.entries(compose.services);

  it('runs a 3-node NATS cluster on a pinned official image, each node with its own config file and volume', () => {
    const nats = services.filter(([name, svc]) => name.startsWith('nats-') && !svc.profiles);
    expect(nats.map(([n]) => n)).toEqual(['nats-1', 'nats-2', 'nats-3']);
    for (const [name, svc] of nats) {
      expect(svc.image).toMatch(/^nats:\d+\.\d+\.\d+(-alpine)?$/);
      const [conf, accounts, data] = svc.volumes ?? [];
      const source = conf.split(':')[0];
      expect(accounts).toBe('./deploy/nats/accounts.conf:/etc/nats/accounts.conf:ro');
      expect(existsSync(join(ROOT, source))).toBe(true);
      expect(source).toBe(`./deploy/nats/${name}.conf`);
      expect(readFileSync(join(ROOT, source), 'utf8')).toMatch(new RegExp(`server_name: ${name}\\b`));
      expect(Object.keys(compose.volumes)).toContain(data.split(':')[0]);
      expect(svc.healthcheck?.test.join(' ')).toMatch(/healthz/);
    }
  });

  it('builds both services and their provisioning runs from a Dockerfile that exists, for service folders that exist', () => {
    for (const name of ['orders-service', 'inventory-service']) {
      const svc = compose.services[name];
      const provision = compose.services[name.replace('-service', '-provision')];
      expect(provision.build).toEqual(svc.build);
      expect(existsSync(join(ROOT, svc.build!.context, svc.build!.dockerfile))).toBe(true);
      expect(svc.build!.args?.SERVICE).toBe(name);
      expect(existsSync(join(ROOT, 'examples', name, 'src', 'main.ts'))).toBe(true);
      expect(svc.healthcheck?.test.join(' ')).toMatch(/\/health\/ready/);
    }
  });

  it('sets only environment variables the services read, and what each needs', () => {
    for (const name of ['orders-service', 'inventory-service', 'orders-provision', 'inventory-provision']) {
      const env = compose.services[name].environment ?? {};
      for (const key of Object.keys(env)) expect(Object.keys(ENV)).toContain(key);
      expect(env.NATS_SERVERS.split(',')).toEqual(['nats://nats-1:4222', 'nats://nats-2:4222', 'nats://nats-3:4222']);
      expect(env.NATS_REPLICAS).toBe('3');
      expect(env).toHaveProperty('DB_PATH');
    }
  });

  it('runs each service as its own identity in verify mode, after a provisioning run as admin', () => {
    const accounts = readFileSync(join(ROOT, 'deploy/nats/accounts.conf'), 'utf8');
    for (const name of ['orders-service', 'inventory-service']) {
      const svc = compose.services[name];
      const provision = `${name.replace('-service', '-provision')}`;
      expect(svc.environment).toMatchObject({ NATS_USER: name, NATS_PASS: `\${${PASSWORD_ENV[name as ServiceUser]}}`, NATS_PROVISIONING: 'verify' });
      expect(svc.environment).toHaveProperty('HTTP_PORT');
      expect(accounts).toContain(`user: "${name}", password: $${PASSWORD_ENV[name as ServiceUser]}\n        permissions: {`);
      expect(svc.depends_on?.[provision]).toEqual({ condition: 'service_completed_successfully' });
      expect(compose.services[provision].environment).toMatchObject({
        NATS_USER: 'admin',
        NATS_PASS: '${NATS_ADMIN_PASSWORD}',
        NATS_PROVISIONING: 'create-or-update',
        NATS_PROVISION_ONLY: 'true',
      });
    }
  });

  it('gives nats-server every password accounts.conf reads, from .env (an example of which is committed)', () => {
    const accounts = readFileSync(join(ROOT, 'deploy/nats/accounts.conf'), 'utf8');
    const referenced = [...accounts.matchAll(/password: \$(\w+)/g)].map((m) => m[1]).sort();
    expect(referenced).toEqual(Object.values(PASSWORD_ENV).sort());
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
    for (const n of [1, 2, 3]) {
      const env = compose.services[`nats-${n}`].environment ?? {};
      expect(Object.keys(env).sort()).toEqual(referenced);
      for (const name of referenced) {
        expect(env[name]).toMatch(new RegExp(`^\\$\\{${name}:\\?`));
        expect(example).toMatch(new RegExp(`^${name}=\\S+$`, 'm'));
      }
    }
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8')).toMatch(/^\.env$/m);
  });

  it('fsyncs every write in each NATS node (sync_interval: always, in the jetstream block)', () => {
    for (const n of [1, 2, 3]) {
      const conf = readFileSync(join(ROOT, `deploy/nats/nats-${n}.conf`), 'utf8');
      expect(conf).toMatch(/jetstream\s*\{[^}]*\n\s*sync_interval:\s*always\s*\n[^}]*\}/);
    }
  });

  describe('the super-cluster and hub-and-leaf topologies (compose profiles)', () => {
    // The configs the launcher's topology tests load (SuperCluster.start, HubAndLeaf.start), and the
    // environment they give nats-server.
    const launcherSpec = readFileSync(join(ROOT, 'packages/testing/src/topologies.integration.spec.ts'), 'utf8');
    const loaded = [...launcherSpec.matchAll(/join\(dir, '([\w-]+\.conf)'\)/g)].map((m) => `./deploy/nats/topologies/${m[1]}`);
    const launcherEnv = [...(/const env = \{([^}]*)\}/.exec(launcherSpec)?.[1] ?? '').matchAll(/(NATS_\w+):/g)].map((m) => m[1]);
    const topology = services.filter(([, svc]) => svc.profiles !== undefined);
    const configOf = (svc: Service) => (svc.volumes ?? [])[0].split(':')[0];

    it('runs exactly the configs the launcher tests load, each on the main nodes’ image, in profile super-cluster or hub-and-leaf', () => {
      expect(loaded.length).toBeGreaterThanOrEqual(4);
      expect(topology.map(([, svc]) => configOf(svc)).sort()).toEqual([...new Set(loaded)].sort());
      const profileOf = Object.fromEntries(topology.map(([name, svc]) => [name, svc.profiles]));
      expect(profileOf).toEqual({
        'nats-a-1': ['super-cluster'],
        'nats-b-1': ['super-cluster'],
        'nats-hub': ['hub-and-leaf'],
        'nats-leaf': ['hub-and-leaf'],
      });
      for (const [, svc] of topology) expect(svc.image).toBe(compose.services['nats-1'].image);
    });

    it('names each node as its config does (routes, gateways and the leaf remote reach it by that name), with its accounts, volume and own host ports', () => {
      const hostPorts = services.flatMap(([, svc]) => (svc.ports ?? []).map((p) => p.split(':')[0]));
      expect(new Set(hostPorts).size).toBe(hostPorts.length);
      for (const [name, svc] of topology) {
        const conf = readFileSync(join(ROOT, configOf(svc)), 'utf8');
        expect(conf).toMatch(new RegExp(`server_name: ${name}\\b`));
        expect(conf).toMatch(/^include \.\/accounts\.conf$/m);
        expect(svc.volumes?.[1]).toBe('./deploy/nats/topologies/accounts.conf:/etc/nats/accounts.conf:ro');
        expect(Object.keys(compose.volumes)).toContain(svc.volumes?.[2].split(':')[0]);
        // Every route names a node of this compose file.
        for (const [, host] of conf.matchAll(/nats-route:\/\/([\w-]+):/g)) expect(compose.services).toHaveProperty(host);
      }
    });

    it('gives each node every variable its config and accounts.conf read, the launcher tests’ passwords among them, from .env', () => {
      const accounts = readFileSync(join(ROOT, 'deploy/nats/topologies/accounts.conf'), 'utf8');
      const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
      for (const [name, svc] of topology) {
        const read = new Set([...`${readFileSync(join(ROOT, configOf(svc)), 'utf8')}\n${accounts}`.matchAll(/\$(NATS_\w+)/g)].map((m) => m[1]));
        const env = svc.environment ?? {};
        for (const v of read) expect({ name, v, set: v in env }).toEqual({ name, v, set: true });
        for (const v of launcherEnv.filter((e) => read.has(e))) {
          expect(env[v]).toMatch(new RegExp(`^\\$\\{${v}:\\?`));
          expect(example).toMatch(new RegExp(`^${v}=\\S+$`, 'm'));
        }
      }
      // The URLs the launcher points at its proxies reach the other node's gateway or leafnode port here.
      expect(compose.services['nats-a-1'].environment?.NATS_GATEWAY_B_URL).toBe('nats://gateway:${NATS_GATEWAY_PASSWORD}@nats-b-1:7222');
      expect(compose.services['nats-b-1'].environment?.NATS_GATEWAY_A_URL).toBe('nats://gateway:${NATS_GATEWAY_PASSWORD}@nats-a-1:7222');
      expect(compose.services['nats-leaf'].environment?.NATS_HUB_LEAF_URL).toBe('nats-leaf://leaf:${NATS_LEAF_PASSWORD}@nats-hub:7422');
      expect(readFileSync(join(ROOT, 'deploy/nats/topologies/cluster-b.conf'), 'utf8')).toMatch(/gateway \{\s*name: b\s*port: 7222/);
      expect(readFileSync(join(ROOT, 'deploy/nats/topologies/hub.conf'), 'utf8')).toMatch(/leafnodes \{\s*port: 7422/);
    });
  });

  it('depends only on services it defines', () => {
    for (const [, svc] of services) {
      for (const dep of Object.keys(svc.depends_on ?? {})) expect(compose.services).toHaveProperty(dep);
    }
  });
});
