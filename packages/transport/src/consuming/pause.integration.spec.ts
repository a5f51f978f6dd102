import { join } from 'node:path';
import { NdjsonProcess, waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';

// A consumer process paused (SIGSTOP) longer than ackWait while a second instance runs: both end
// up handling the message (at-least-once), and the paused one's late ack settles nothing twice:
// no dead letter, no term, nothing left pending, the consumer goes on.

const fixture = join(__dirname, '..', '__fixtures__', 'pause-consumer.ts');
const register = join(__dirname, '../../../../scripts/register.cjs');
type Line = { event: string; pid: number; seq?: number; delivery?: number };

function runConsumer(url: string) {
  return NdjsonProcess.spawn<Line>(process.execPath, ['-r', register, fixture], { env: { ...process.env, NATS_URL: url } });
}

describe('an instance paused past ackWait beside a running one (real nats-server, real processes)', () => {
  const h = new Harness();
  const stream = uniqueName('PAUSE');
  const dlq = uniqueName('PAUSEDLQ');

  beforeAll(async () => {
    await h.start();
    await h.jsm.streams.add({ name: stream, subjects: ['pause.>'] });
    await h.jsm.streams.add({ name: dlq, subjects: ['pausedlq.>'] });
  });
  afterAll(() => h.stop());

  it('handles the message at least once, and the late ack double-settles nothing', async () => {
    const a = runConsumer(h.server.url);
    const b = runConsumer(h.server.url);
    const all = () => [...a.lines, ...b.lines];
    try {
      await Promise.all([a, b].map((p) => p.waitForLine('both instances ready', (l) => l.event === 'ready', { timeout: 60_000 })));
      const { seq } = await h.js.publish('pause.work', '{}');
      const first = await waitFor('an instance to start on it', () => all().find((l) => l.event === 'started' && l.seq === seq));
      const [paused, running] = first.pid === a.pid ? [a, b] : [b, a];
      paused.signal('SIGSTOP');
      // ackWait (2 s) runs out with nobody calling working(): the server redelivers to the running instance.
      await running.waitForLine('the running instance to handle the redelivery', (l) => l.event === 'handled' && l.seq === seq, { timeout: 20_000 });
      paused.signal('SIGCONT');
      await paused.waitForLine('the paused instance to finish late', (l) => l.event === 'handled' && l.seq === seq, { timeout: 20_000 });
      // The consumer goes on: a later message is handled, and nothing of the first is left pending.
      const { seq: next } = await h.js.publish('pause.work', '{}');
      await waitFor('a later message handled', () => all().some((l) => l.event === 'handled' && l.seq === next), { timeout: 20_000 });
      await waitFor('nothing pending', async () => {
        const info = await h.jsm.consumers.info(stream, 'pause__pause_work');
        return info.num_ack_pending === 0 && info.num_pending === 0;
      });
      expect(all().filter((l) => (l.event === 'deadLetter' || l.event === 'terminated') && l.seq === seq)).toEqual([]);
      expect((await h.jsm.streams.info(dlq)).state.messages).toBe(0);
    } finally {
      await Promise.all([a.kill(), b.kill()]);
    }
  });
});
