// Publish throughput against the number of distinct subjects (one per entity), plain and with a
// per-message TTL, beside the per-subject stream lookup the library did before #24 (emulated with
// the raw client: STREAM.NAMES + STREAM.INFO on a subject's first timed publish, kept for 10,000
// subjects, then paid on every publish).
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { JetStreamClient, RawCodec } from '@nest-jetstream/transport';
import { window, WINDOW } from './lib.js';
import { fixed, QUICK, table } from './scale-lib.js';

/** Publishes per second over `n` publishes, WINDOW in flight (lib.ts's `window`). */
const windowed = async (n: number, publish: (i: number) => Promise<unknown>): Promise<number> => (await window(publish, n)).rate;

const STREAM = 'SCALE_PUB';
const payload = new Uint8Array(256).fill(120);
/** The old cache's bound (publishing/ and message-timing/ before #24). */
const OLD_SUBJECTS_KEPT = 10_000;

/** Counts the stream lookups (`$JS.API.STREAM.NAMES`) anyone makes while `fn` runs. */
async function lookups(nc: NatsConnection, fn: () => Promise<number>): Promise<{ rate: number; lookups: number }> {
  let n = 0;
  const sub = nc.subscribe('$JS.API.STREAM.NAMES', { callback: () => void n++ });
  await nc.flush();
  const rate = await fn();
  await nc.flush();
  sub.unsubscribe();
  return { rate, lookups: n };
}

export async function publishCurve(url: string, nc: NatsConnection, jsm: JetStreamManager, ttlSupported: boolean): Promise<string> {
  const counts = QUICK ? [10, 1_000, 10_000, 30_000] : [10, 100, 1_000, 10_000, 30_000, 100_000];
  const js = jetstream(nc);
  await jsm.streams.add({ name: STREAM, subjects: ['scale.pub.>'], allow_msg_ttl: ttlSupported || undefined });
  const rows: (string | number)[][] = [];
  // The first pass is a warm-up, not shown: every path JIT-compiled before the first point.
  for (const [k, subjects] of [counts[0], ...counts].entries()) {
    const warmUp = k === 0;
    const n = Math.max(QUICK ? 10_000 : 30_000, subjects);
    const subject = (i: number) => `scale.pub.${i % subjects}`;
    // A fresh client per point: its caches start cold, as after a deploy.
    const fresh = async (fn: (c: JetStreamClient) => Promise<number>) => {
      const client = new JetStreamClient({ connection: { servers: url }, codec: new RawCodec() });
      await client.connect();
      try {
        await jsm.streams.purge(STREAM);
        return await fn(client);
      } finally {
        await client.close();
      }
    };
    const plain = await lookups(nc, () => fresh((c) => windowed(n, (i) => c.publish(subject(i), payload))));
    const row: (string | number)[] = [subjects, n, fixed(plain.rate), plain.lookups];
    if (ttlSupported) {
      const timed = await lookups(nc, () => fresh((c) => windowed(n, (i) => c.publish(subject(i), payload, { ttl: '1m' }))));
      const seen = new Map<string, string>();
      await jsm.streams.purge(STREAM);
      const old = await lookups(nc, () =>
        windowed(n, async (i) => {
          const s = subject(i);
          if (!seen.has(s)) {
            const name = await jsm.streams.find(s);
            await jsm.streams.info(name);
            if (seen.size < OLD_SUBJECTS_KEPT) seen.set(s, name);
          }
          return js.publish(s, payload, { ttl: '1m' });
        }),
      );
      row.push(fixed(timed.rate), timed.lookups, fixed(old.rate), old.lookups, fixed(timed.rate / old.rate, 2));
    }
    if (!warmUp) rows.push(row);
  }
  await jsm.streams.delete(STREAM);
  const head = ['distinct subjects', 'publishes', 'publish()/s', 'lookups'];
  if (ttlSupported) head.push('publish() with ttl/s (#24: by stream)', 'lookups', 'per-subject lookup (before #24, emulated)/s', 'lookups', 'ratio');
  return table(`Publish throughput against distinct subjects (${WINDOW} in flight, ${payload.length} B, subject i mod N)`, head, rows, [
    '"lookups" counts the `$JS.API.STREAM.NAMES` requests seen during the phase. The emulation of the old path publishes with the raw client (a little cheaper per message than ours), so its column is an upper bound of what the old code reached.',
  ]);
}
