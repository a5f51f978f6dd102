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
