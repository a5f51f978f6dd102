// Docker cannot run here, so this keeps docker-compose.yml honest: everything it names exists,
// and its NATS config files are the ones the cluster tests start (see packages/testing).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ENV } from '@nest-jetstream/example-shared';

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
      const [conf, data] = svc.volumes ?? [];
      const source = conf.split(':')[0];
      expect(existsSync(join(ROOT, source))).toBe(true);
      expect(source).toBe(`./deploy/nats/${name}.conf`);
      expect(readFileSync(join(ROOT, source), 'utf8')).toMatch(new RegExp(`server_name: ${name}\\b`));
      expect(Object.keys(compose.volumes)).toContain(data.split(':')[0]);
      expect(svc.healthcheck?.test.join(' ')).toMatch(/healthz/);
    }
  });

  it('builds both services from a Dockerfile that exists, for service folders that exist', () => {
    for (const name of ['orders-service', 'inventory-service']) {
      const svc = compose.services[name];
      expect(existsSync(join(ROOT, svc.build!.context, svc.build!.dockerfile))).toBe(true);
      expect(svc.build!.args?.SERVICE).toBe(name);
      expect(existsSync(join(ROOT, 'examples', name, 'src', 'main.ts'))).toBe(true);
      expect(svc.healthcheck?.test.join(' ')).toMatch(/\/health\/ready/);
    }
  });

  it('sets only environment variables the services read, and what each needs', () => {
    for (const name of ['orders-service', 'inventory-service']) {
      const env = compose.services[name].environment ?? {};
      for (const key of Object.keys(env)) expect(Object.keys(ENV)).toContain(key);
      expect(env.NATS_SERVERS.split(',')).toEqual(['nats://nats-1:4222', 'nats://nats-2:4222', 'nats://nats-3:4222']);
      expect(env.NATS_REPLICAS).toBe('3');
      expect(env).toHaveProperty('HTTP_PORT');
      expect(env).toHaveProperty('DB_PATH');
    }
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
