// Drain rate and latency against payload size and against handler time: one @JetStreamEvent
// handler (concurrency 100) drains a backlog, then takes a paced stream of messages stamped with
// their send time, in this process (one clock).
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { startOurs, work, workModule, workSubject } from './scale-apps.js';
import { fixed, percentile, QUICK, table, until } from './scale-lib.js';

const STREAM = 'SCALE_WORK';
const CONCURRENCY = 100;
const MB = 2 ** 20;

function stamped(size: number): Uint8Array {
  const bytes = new Uint8Array(size).fill(120);
  new DataView(bytes.buffer).setFloat64(0, performance.now());
  return bytes;
}
const stampOf = (data: Uint8Array) => new DataView(data.buffer, data.byteOffset, 8).getFloat64(0);

async function fill(nc: NatsConnection, jsm: JetStreamManager, n: number, size: number): Promise<void> {
  await jsm.streams.purge(STREAM);
  const bytes = stamped(size);
  let sent = 0;
  for (let i = 0; i < n; i++) {
    nc.publish(workSubject, bytes);
    sent += size;
    if (sent >= 4 * MB) {
      await nc.flush();
      sent = 0;
    }
  }
  await nc.flush();
  await until(`${n} messages of ${size} B stored`, async () => (await jsm.streams.info(STREAM)).state.messages >= n);
}

interface Point {
  rate: number;
  p50: number;
  p99: number;
}

/** Drains `n` messages of `size` B, then measures latency over `paced` messages sent at `perSecond`. */
async function point(url: string, nc: NatsConnection, jsm: JetStreamManager, n: number, size: number, paced: number, perSecond: number): Promise<Point> {
  await fill(nc, jsm, n, size);
  let handled = 0;
  let first = 0;
  let last = 0;
  const latencies: number[] = [];
  let timing = false;
  work.seen = (data) => {
    const now = performance.now();
    if (timing) latencies.push(now - stampOf(data));
    else {
      if (handled === 0) first = now;
      last = now;
    }
    handled++;
  };
  const app = await startOurs(url, workModule(CONCURRENCY));
  try {
    await until(`the backlog of ${n} drained`, () => handled >= n);
    const rate = (n / (last - first)) * 1000;
    timing = true;
    // Every 10 ms a batch, or one message every 1000 / perSecond ms below 100 a second.
    const everyMs = Math.max(10, 1000 / perSecond);
    const perTick = Math.max(1, Math.round((perSecond * everyMs) / 1000));
    for (let sent = 0; sent < paced; sent += perTick) {
      for (let k = 0; k < perTick && sent + k < paced; k++) nc.publish(workSubject, stamped(size));
      await new Promise((r) => setTimeout(r, everyMs));
    }
    await until(`${paced} paced messages handled`, () => latencies.length >= paced);
    return { rate, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  } finally {
    await app.close();
    await jsm.consumers.delete(STREAM, 'scale_work');
  }
}

export async function drainCurves(url: string, nc: NatsConnection, jsm: JetStreamManager, which: { payload: boolean; handler: boolean }): Promise<string> {
  await jsm.streams.add({ name: STREAM, subjects: [workSubject] });
  let out = '';
  try {
    if (which.payload) {
      const sizes = [128, 1024, 16 * 1024, 128 * 1024, MB];
      const budget = (QUICK ? 64 : 256) * MB;
      const rows: (string | number)[][] = [];
      work.handlerMs = 0;
      for (const size of sizes) {
        const n = Math.max(64, Math.min(QUICK ? 20_000 : 50_000, Math.floor(budget / size)));
        const perSecond = Math.min(500, Math.floor((16 * MB) / size));
        const paced = Math.max(50, Math.min(QUICK ? 500 : 2_000, perSecond * 2));
        const p = await point(url, nc, jsm, n, size, paced, perSecond);
        rows.push([size, n, fixed(p.rate), fixed((p.rate * size) / MB, 1), perSecond, fixed(p.p50, 2), fixed(p.p99, 2)]);
      }
      out += table(
        `Drain and latency against payload size (handler returns at once, concurrency ${CONCURRENCY})`,
        ['payload B', 'backlog', 'drain msgs/s', 'drain MiB/s', 'paced at msgs/s', 'latency p50 ms', 'latency p99 ms'],
        rows,
        [
          'Latency: publish (core, stamped) to handler, both in this process, paced every 10 ms after the backlog is drained. nats-server runs with max_payload 8MB for the 1 MiB row.',
        ],
      );
    }
    if (which.handler) {
      const rows: (string | number)[][] = [];
      for (const ms of [0, 1, 5, 20, 50]) {
        work.handlerMs = ms;
        const ceiling = ms === 0 ? Infinity : (CONCURRENCY * 1000) / ms;
        const n = Math.floor(Math.min(QUICK ? 10_000 : 50_000, ceiling * (QUICK ? 2 : 5)));
        const p = await point(url, nc, jsm, n, 1024, QUICK ? 200 : 1_000, 200);
        rows.push([ms, n, fixed(ceiling), fixed(p.rate), Number.isFinite(ceiling) ? fixed(p.rate / ceiling, 2) : '-', fixed(p.p50, 2), fixed(p.p99, 2)]);
      }
      work.handlerMs = 0;
      out += table(
        `Drain against handler time (1 KiB, concurrency ${CONCURRENCY}: the ceiling is concurrency / handler time)`,
        ['handler ms', 'backlog', 'ceiling msgs/s', 'drain msgs/s', 'of ceiling', 'latency p50 ms (200/s)', 'latency p99 ms'],
        rows,
        [
          'The handler awaits `setTimeout(ms)`, which Node rounds up (a 1 ms timer takes 1 to 2 ms): "of ceiling" below 1 at 1 ms is the timer, not the library.',
        ],
      );
    }
  } finally {
    await jsm.streams.delete(STREAM);
  }
  return out;
}
