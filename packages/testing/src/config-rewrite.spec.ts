import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configServerName, rewriteForLoopback } from './config-rewrite.js';

describe('rewriteForLoopback', () => {
  const file = readFileSync(join(__dirname, '../../../deploy/nats/nats-2.conf'), 'utf8');
  const out = rewriteForLoopback(file, { host: '127.0.0.1', client: 14222, monitor: 18222, cluster: 16222, routes: [16001, 16003], storeDir: '/tmp/s' });

  it('moves the ports, routes and store to loopback', () => {
    expect(out).toMatch(/^listen: "127\.0\.0\.1:14222"$/m);
    expect(out).toMatch(/^http: "127\.0\.0\.1:18222"$/m);
    expect(out).toMatch(/^\s+listen: "127\.0\.0\.1:16222"$/m);
    expect(out).toMatch(/routes: \["nats-route:\/\/127\.0\.0\.1:16001", "nats-route:\/\/127\.0\.0\.1:16003"\]/);
    expect(out).toMatch(/store_dir: "\/tmp\/s"/);
    expect(out).not.toMatch(/nats-1:6222|\b(4222|8222|6222)\b|\/data\/jetstream/);
  });

  it('keeps everything else as written', () => {
    expect(out).toMatch(/max_file_store: 8GB/);
    expect(out).toMatch(/name: nest-jetstream/);
    expect(out).toMatch(/max_payload: 1MB/);
    expect(configServerName(file)).toBe('nats-2');
  });

  it('inlines included files, which nats-server would look for next to the moved config', () => {
    const text = 'port: 4222\ninclude ./accounts.conf\nmax_payload: 1MB\n';
    const read: string[] = [];
    const moved = rewriteForLoopback(text, {
      host: '127.0.0.1',
      client: 1,
      monitor: 2,
      cluster: 0,
      routes: [],
      storeDir: '/tmp/s',
      readInclude: (path) => (read.push(path), 'accounts { APP {} }'),
    });
    expect(read).toEqual(['./accounts.conf']);
    expect(moved).toMatch(/^# include \.\/accounts\.conf\naccounts \{ APP \{\} \}\nmax_payload: 1MB$/m);
  });
});

describe('rewriteForLoopback on the super-cluster and hub-and-leaf configs (deploy/nats/topologies)', () => {
  const dir = join(__dirname, '../../../deploy/nats/topologies');
  const base = { host: '127.0.0.1', client: 1, monitor: 2, cluster: 3, routes: [3], storeDir: '/tmp/s' };

  it('moves the gateway port and advertises the proxy in front of it', () => {
    const out = rewriteForLoopback(readFileSync(join(dir, 'cluster-a.conf'), 'utf8'), { ...base, gateway: 4, advertise: { gateway: '127.0.0.1:5' } });
    expect(out).toMatch(/^\s+listen: "127\.0\.0\.1:4"\n\s+advertise: "127\.0\.0\.1:5"$/m);
    expect(out).toMatch(/routes: \["nats-route:\/\/127\.0\.0\.1:3"\]/);
    expect(out).toMatch(/\{ name: b, urls: \[\$NATS_GATEWAY_B_URL\] \}/);
    expect(out).not.toMatch(/port: 7222/);
  });

  it("moves a 3-node cluster file's routes to the other nodes' ports and keeps its three gateway URL variables", () => {
    const out = rewriteForLoopback(readFileSync(join(dir, 'cluster-b-2.conf'), 'utf8'), { ...base, routes: [8, 9], gateway: 4 });
    expect(out).toMatch(/routes: \["nats-route:\/\/127\.0\.0\.1:8", "nats-route:\/\/127\.0\.0\.1:9"\]/);
    expect(out).not.toMatch(/nats-b-\d:6222/);
    expect(out).toMatch(/\{ name: a, urls: \[\$NATS_GATEWAY_A_URL_1, \$NATS_GATEWAY_A_URL_2, \$NATS_GATEWAY_A_URL_3\] \}/);
    expect(out).toMatch(/^server_name: nats-b-2$/m);
  });

  it("moves the hub's leafnode port and leaves the leaf's remotes as written", () => {
    const hub = rewriteForLoopback(readFileSync(join(dir, 'hub.conf'), 'utf8'), {
      ...base,
      cluster: 0,
      routes: [],
      leafnode: 6,
      advertise: { leafnode: '127.0.0.1:7' },
    });
    expect(hub).toMatch(/^\s+listen: "127\.0\.0\.1:6"\n\s+advertise: "127\.0\.0\.1:7"$/m);
    expect(hub).toMatch(/domain: hub/);
    const leaf = rewriteForLoopback(readFileSync(join(dir, 'leaf.conf'), 'utf8'), { ...base, cluster: 0, routes: [] });
    expect(leaf).toMatch(/\{ urls: \[\$NATS_HUB_LEAF_URL\], account: APP \}/);
    expect(leaf).toMatch(/domain: leaf/);
  });
});

describe('rewriteForLoopback leaveOut', () => {
  it('comments out the settings a server is too old for, and only those', () => {
    const out = rewriteForLoopback('jetstream {\n  sync_interval: always\n  max_file_store: 8GB\n}\n', {
      host: '127.0.0.1',
      client: 1,
      monitor: 2,
      cluster: 0,
      routes: [],
      storeDir: '/tmp/s',
      leaveOut: ['sync_interval'],
    });
    expect(out).toMatch(/^\s+# left out for this server version: sync_interval: always$/m);
    expect(out).toMatch(/^\s+max_file_store: 8GB$/m);
  });
});
