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
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, Service>;
    volumes: Record<string, unknown>;
  };
  const services = Object.entries(compose.services);

  it('runs a 3-node NATS cluster on a pinned official image, each node with its own config file and volume', () => {
    const nats = services.filter(([name]) => name.startsWith('nats-'));
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

  it('depends only on services it defines', () => {
    for (const [, svc] of services) {
      for (const dep of Object.keys(svc.depends_on ?? {})) expect(compose.services).toHaveProperty(dep);
    }
  });
});
