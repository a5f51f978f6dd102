import { Kvm } from '@nats-io/kv';
import { natsServerBinaryVersion, resolveNatsServerBinary, waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { MESSAGE_TTL_MIN_SERVER } from '../message-timing/timing-options.js';
import { versionAtLeast } from '../utils/server-version.js';
import { KvIdempotencyStore } from './kv-idempotency.store.js';
import { Registry } from 'prom-client';
import { KvIdempotencyMetrics } from '../metrics/kv-idempotency.metrics.js';

const version = natsServerBinaryVersion(resolveNatsServerBinary());

describe(`KvIdempotencyStore on nats-server ${version}`, () => {
  const h = new Harness();
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('insert or ignore: a key is recorded once, seen, looked up with its result; keys with ":" are fine; tx is refused', async () => {
    const bucket = await new Kvm(h.nc).create(uniqueName('idem'), { ttl: 60_000 });
    const store = new KvIdempotencyStore({ bucket });
    await store.init();
    expect(await store.seen('ORDERS:1')).toBe(false);
    expect(await store.record('ORDERS:1', { result: '{"ok":true}' })).toBe(true);
    expect(await store.record('ORDERS:1')).toBe(false);
    expect(await store.seen('ORDERS:1')).toBe(true);
    expect(await store.lookup('ORDERS:1')).toMatchObject({ key: 'ORDERS:1', result: '{"ok":true}', recordedAt: expect.any(Date) });
    await expect(store.record('ORDERS:2', { tx: {} as never })).rejects.toThrow(/cannot join a database transaction/);
  });

  it('KvIdempotencyMetrics: lookups by result, records by result and errors, per bucket, read at scrape', async () => {
    const name = uniqueName('idemmetrics');
    const bucket = await new Kvm(h.nc).create(name, { ttl: 60_000 });
    const store = new KvIdempotencyStore({ bucket });
    await store.init();
    const registry = new Registry();
    new KvIdempotencyMetrics({ registry }).watch(store);
    const sample = async (metric: string, labels: Record<string, string> = {}) => {
      const m = (await registry.getMetricsAsJSON()).find((x) => x.name === `nest_jetstream_${metric}`);
      return (m?.values as { value: number; labels: Record<string, string | number> }[] | undefined)?.find((v) =>
        Object.entries({ bucket: name, ...labels }).every(([k, l]) => v.labels[k] === l),
      )?.value;
    };
    expect(await store.seen('K:1')).toBe(false);
    expect(await store.record('K:1')).toBe(true);
    expect(await store.record('K:1')).toBe(false);
    expect(await store.seen('K:1')).toBe(true);
    expect(await store.seen('K:1')).toBe(true);
    expect(await sample('kv_idempotency_checks_total', { result: 'new' })).toBe(1);
    expect(await sample('kv_idempotency_checks_total', { result: 'duplicate' })).toBe(2);
    expect(await sample('kv_idempotency_records_total', { result: 'recorded' })).toBe(1);
    expect(await sample('kv_idempotency_records_total', { result: 'existed' })).toBe(1);
    expect(await sample('kv_idempotency_errors_total')).toBe(0);
    await bucket.destroy();
    await expect(store.record('K:2')).rejects.toThrow();
    expect(await sample('kv_idempotency_errors_total')).toBe(1);
  });

  it('refuses a bucket whose keys would never expire, and a ttl the bucket cannot give', async () => {
    const forever = new KvIdempotencyStore({ bucket: await new Kvm(h.nc).create(uniqueName('idemforever')) });
    await expect(forever.init()).rejects.toThrow(/would never expire/);
    const noPerKey = new KvIdempotencyStore({ bucket: await new Kvm(h.nc).create(uniqueName('idemnoperkey'), { ttl: 60_000 }), ttl: '1h' });
    await expect(noPerKey.init()).rejects.toThrow(JetStreamConfigError);
    expect(() => new KvIdempotencyStore({ bucket: {} as never })).toThrow(/bucket must be an opened NATS KV bucket/);
  });

  if (versionAtLeast(version, MESSAGE_TTL_MIN_SERVER)) {
    it('per-key TTL (nats-server 2.11+, bucket with markerTTL): a key expires after the store ttl', async () => {
      const bucket = await new Kvm(h.nc).create(uniqueName('idemttl'), { markerTTL: 1_000 });
      const store = new KvIdempotencyStore({ bucket, ttl: '1s' });
      await store.init();
      expect(await store.record('S:1')).toBe(true);
      expect(await store.seen('S:1')).toBe(true);
      await waitFor('the key to expire', async () => !(await store.seen('S:1')), { timeout: 15_000 });
      expect(await store.record('S:1')).toBe(true);
    });
  }
});
