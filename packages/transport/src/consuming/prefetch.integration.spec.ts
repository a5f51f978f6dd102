import { join } from 'node:path';
import { NdjsonProcess, waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';

// A process holds at most concurrency + prefetch unsettled messages, so when it crashes the next
// instance gets the rest at once instead of after ackWait (60 s here).

const fixture = join(__dirname, '..', '__fixtures__', 'hold-consumer.ts');
const register = join(__dirname, '../../../../scripts/register.cjs');

function runConsumer(url: string, hold: boolean) {
  return NdjsonProcess.spawn<{ event: string; seq?: number }>(process.execPath, ['-r', register, fixture], { env: { ...process.env, NATS_URL: url, HOLD: hold ? '1' : '' } });
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
      await waitFor('the first process to run its 2 handlers (both hang)', () => first.lines.filter((l) => l.event === 'held').length === 2, { timeout: 60_000 });
      await first.kill();
      // What it held when it died is what the server counts as delivered and unacked: at most its
      // concurrency + prefetch (2 + 2), not its maxAckPending (100). Read after the kill, so a pull
      // still in flight at that moment is counted too.
      const stranded = (await h.jsm.consumers.info(stream, 'hold__hold_work')).num_ack_pending;
      expect(stranded).toBeGreaterThanOrEqual(2);
      expect(stranded).toBeLessThanOrEqual(2 + 2);
      second = runConsumer(h.server.url, false);
      // Everything the first did not hold is handled well before its 60 s ackWait runs out.
      await waitFor(`the successor to handle the ${total - stranded} messages nobody holds`, () => second!.lines.filter((l) => l.event === 'handled').length >= total - stranded, { timeout: 30_000 });
    } finally {
      await Promise.all([first.kill(), second?.kill()]);
    }
  });
});
