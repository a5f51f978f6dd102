import { join } from 'node:path';
import { NdjsonProcess, waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';

// A process holds at most concurrency + prefetch unsettled messages, so when it crashes the next
// instance gets the rest at once instead of after ackWait (60 s here).

const fixture = join(__dirname, '..', '__fixtures__', 'hold-consumer.ts');
const register = join(__dirname, '../../../../scripts/register.cjs');

function runConsumer(url: string, hold: boolean) {
  return NdjsonProcess.spawn<{ event: string; seq?: number }>(process.execPath, ['-r', register, fixture], {
    env: { ...process.env, NATS_URL: url, HOLD: hold ? '1' : '' },
  });
}

describe('prefetch: what a process holds beyond what it runs (real nats-server, real processes)', () => {
  const h = new Harness();
  const stream = uniqueName('HOLD');
  const total = 30;

  beforeAll(async () => {
    await h.start();
    await h.jsm.streams.add({ name: stream, subjects: ['hold.>'] });
  });
  afterAll(() => h.stop());

  it('a killed process strands at most concurrency + prefetch messages; its successor gets the rest long before ackWait', async () => {
    for (let i = 0; i < total; i++) await h.js.publish('hold.work', JSON.stringify({ i }));
    const first = runConsumer(h.server.url, true);
    let second: ReturnType<typeof runConsumer> | undefined;
    try {
      await waitFor('the first process to run its 2 handlers (both hang)', () => first.lines.filter((l) => l.event === 'held').length === 2, {
        timeout: 60_000,
      });
      await first.kill();
      // What it held when it died is what the server counts as delivered and unacked: at most its
      // concurrency + prefetch (2 + 2), not its maxAckPending (100). Read after the kill, so a pull
      // still in flight at that moment is counted too.
      const stranded = (await h.jsm.consumers.info(stream, 'hold__hold_work')).num_ack_pending;
      expect(stranded).toBeGreaterThanOrEqual(2);
      expect(stranded).toBeLessThanOrEqual(2 + 2);
      second = runConsumer(h.server.url, false);
      // Everything the first did not hold is handled well before its 60 s ackWait runs out.
      await waitFor(
        `the successor to handle the ${total - stranded} messages nobody holds`,
        () => second!.lines.filter((l) => l.event === 'handled').length >= total - stranded,
        { timeout: 30_000 },
      );
    } finally {
      await Promise.all([first.kill(), second?.kill()]);
    }
  });
});

// The adaptive prefetch (defaults: no `prefetch` set): what a SIGKILLed process strands is bounded
// by time, about one second of work at its handler's rate, and never more than maxAckPending; the
// successor gets everything else on its first delivery, and the stranded messages after ackWait.
const rateFixture = join(__dirname, '..', '__fixtures__', 'rate-consumer.ts');
const CONCURRENCY = 10;

type Handled = { event: string; seq?: number; delivery?: number };

function runRateConsumer(url: string, subject: string, handlerMs: number, maxAckPending?: number) {
  const env = {
    ...process.env,
    NATS_URL: url,
    SUBJECT: subject,
    HANDLER_MS: String(handlerMs),
    ACK_WAIT: '5s',
    MAX_ACK_PENDING: maxAckPending === undefined ? '' : String(maxAckPending),
  };
  return NdjsonProcess.spawn<Handled>(process.execPath, ['-r', register, rateFixture], { env });
}

describe('adaptive prefetch: what a killed process strands (real nats-server, real processes)', () => {
  const h = new Harness();
  const stream = uniqueName('RATE');

  beforeAll(async () => {
    await h.start();
    await h.jsm.streams.add({ name: stream, subjects: ['rate.>'] });
  });
  afterAll(() => h.stop());

  async function crash(subject: string, o: { handlerMs: number; total: number; killAfter: number; maxAckPending?: number }) {
    for (let i = 0; i < o.total; i++) await h.js.publish(subject, JSON.stringify({ i }));
    const durable = `rate__${subject.replace(/\./g, '_')}`;
    const first = runRateConsumer(h.server.url, subject, o.handlerMs, o.maxAckPending);
    let second: ReturnType<typeof runRateConsumer> | undefined;
    try {
      await waitFor(`the first process to handle ${o.killAfter} messages`, () => first.lines.filter((l) => l.event === 'handled').length >= o.killAfter, {
        timeout: 60_000,
      });
      await first.kill();
      // Read after the kill: a pull still in flight at that moment is counted too.
      const info = await h.jsm.consumers.info(stream, durable);
      const stranded = info.num_ack_pending;
      const rest = info.num_pending;
      second = runRateConsumer(h.server.url, subject, o.handlerMs, o.maxAckPending);
      const seen = new Set<number>();
      const count = () => {
        seen.clear();
        for (const p of [first, second!]) for (const l of p.lines) if (l.event === 'handled' && l.seq !== undefined) seen.add(l.seq);
        return seen.size;
      };
      // Nothing lost: every message handled by one or the other (the stranded ones after ackWait).
      await waitFor(`all ${o.total} messages handled`, () => count() === o.total, { timeout: 60_000 });
      // What nobody held went to the successor at once, on its first delivery.
      const firstDeliveries = second.lines.filter((l) => l.event === 'handled' && l.delivery === 1).length;
      expect(firstDeliveries).toBeGreaterThanOrEqual(rest);
      return stranded;
    } finally {
      await Promise.all([first.kill(), second?.kill()]);
    }
  }

  it('a slow handler (500 ms, concurrency 10: 20 a second) strands about one second of work beyond what runs, not maxAckPending', async () => {
    const stranded = await crash('rate.slow', { handlerMs: 500, total: 150, killAfter: 40 });
    // 10 running + about 1 s of work at 20/s; twice that for the rate estimate's slack, still half of maxAckPending (100).
    expect(stranded).toBeLessThanOrEqual(CONCURRENCY + 2 * 20);
  }, 120_000);

  it('a fast handler holds more, within maxAckPending', async () => {
    const stranded = await crash('rate.fast', { handlerMs: 5, total: 3000, killAfter: 300, maxAckPending: 1000 });
    expect(stranded).toBeLessThanOrEqual(1000);
  }, 120_000);
});
