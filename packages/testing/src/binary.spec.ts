import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveNatsServerBinary } from './binary.js';

describe('resolveNatsServerBinary', () => {
  const root = mkdtempSync(join(tmpdir(), 'bin-spec-'));
  const bin = join(root, '.cache', 'nats-server', 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'nats-server-newest'), '');
  writeFileSync(join(bin, 'nats-server-oldest'), '');
  const nested = join(root, 'a', 'b');
  mkdirSync(nested, { recursive: true });

  it('finds the cached newest binary from a nested folder by default', () => {
    expect(resolveNatsServerBinary({}, nested)).toBe(join(bin, 'nats-server-newest'));
  });

  it('picks the oldest with NATS_SERVER_VERSION=oldest', () => {
    expect(resolveNatsServerBinary({ NATS_SERVER_VERSION: 'oldest' }, nested)).toBe(join(bin, 'nats-server-oldest'));
  });

  it('lets NATS_SERVER_BIN override the cache', () => {
    const other = join(root, 'custom-nats');
    writeFileSync(other, '');
    expect(resolveNatsServerBinary({ NATS_SERVER_BIN: other, NATS_SERVER_VERSION: 'oldest' }, nested)).toBe(other);
  });

  it('names the variable when NATS_SERVER_BIN points nowhere', () => {
    expect(() => resolveNatsServerBinary({ NATS_SERVER_BIN: join(root, 'missing') }, nested)).toThrow(/NATS_SERVER_BIN points at .*missing/);
  });

  it('rejects an unknown NATS_SERVER_VERSION with the accepted values', () => {
    expect(() => resolveNatsServerBinary({ NATS_SERVER_VERSION: 'latest' }, nested)).toThrow(/use "newest" or "oldest"/);
  });
});
