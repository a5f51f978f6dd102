import { Controller, Module } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import type { JetStreamServer } from '../server/jetstream.server.js';
import type { DeadLetterEvent } from '../events/settle.events.js';

/** Handler calls: message number → how many times. */
const calls = new Map<number, number>();
let inFlight = 0;
let maxInFlight = 0;

@Controller()
class PushController {
  @JetStreamEvent('jobs.push', { mode: 'push', concurrency: 4, maxAckPending: 16, ackWait: '2m' })
  async job(@Payload() data: { n: number }) {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 2));
    calls.set(data.n, (calls.get(data.n) ?? 0) + 1);
    inFlight--;
  }

  @JetStreamEvent('jobs.poison', { mode: 'push', maxDeliver: 2, backoff: ['100ms'], deadLetter: 'dlq.jobs' })
  poison() {
    throw new Error('never works');
  }
}

@Module({ controllers: [PushController] })
class PushModule {}

describe("mode 'push' with a queue group (real nats-server)", () => {
  const h = new Harness();
  const stream = uniqueName('JOBS');
  const dlq = uniqueName('JOBS_DLQ');
  const apps: JetStreamServer[] = [];
  const deadLetters: DeadLetterEvent[] = [];
  const options = () => ({
    serviceName: 'push-spec',
    streams: [
      { name: stream, subjects: ['jobs.>'] },
      { name: dlq, subjects: ['dlq.jobs'] },
    ],
  });

  beforeAll(async () => {
    await h.start();
    for (let i = 0; i < 2; i++) apps.push((await h.app(PushModule, options())).strategy);
    apps[0].on('deadLetter', (e) => deadLetters.push(e));
    apps[1].on('deadLetter', (e) => deadLetters.push(e));
  });
  afterAll(() => h.stop());

  it('makes a durable push consumer with a queue group', async () => {
    const info = await h.jsm.consumers.info(stream, 'push-spec__jobs_push');
    expect(info.config).toEqual(
      expect.objectContaining({ deliver_group: 'push-spec__jobs_push', deliver_subject: `_PUSH.${stream}.push-spec__jobs_push`, max_ack_pending: 16 }),
    );
    expect(info.push_bound).toBe(true);
  });

  it('shares a burst between the instances: every message handled, never more than maxAckPending out', async () => {
    const N = 2000;
    await Promise.all(Array.from({ length: N }, (_, i) => h.js.publish('jobs.push', JSON.stringify({ n: i + 1 }))));
    let mostOut = 0;
    await waitFor(
      'every message handled',
      async () => {
        const info = await h.jsm.consumers.info(stream, 'push-spec__jobs_push');
        mostOut = Math.max(mostOut, info.num_ack_pending);
        return calls.size === N && info.num_ack_pending === 0 && info.num_pending === 0;
      },
      { timeout: 60_000 },
    );
    // Never more unsettled than maxAckPending across the group, however slow the instances are.
    expect(mostOut).toBeLessThanOrEqual(16);
    expect([...calls.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(maxInFlight).toBeLessThanOrEqual(8);
  });

  it('keeps the settle rules: a failing message is retried with backoff, then dead-lettered', async () => {
    const { seq } = await h.js.publish('jobs.poison', JSON.stringify({ n: 0 }));
    await waitFor('the dead letter', () => deadLetters.some((e) => e.streamSequence === seq), { timeout: 15_000 });
    const letter = await h.jsm.streams.getMessage(dlq, { last_by_subj: 'dlq.jobs' });
    expect(letter?.json()).toEqual({ n: 0 });
  });

  it('hands the rest to the other instance when one stops during a burst', async () => {
    const before = calls.size;
    const publishes = Array.from({ length: 500 }, (_, i) => h.js.publish('jobs.push', JSON.stringify({ n: 10_000 + i })));
    await apps[0].close();
    await Promise.all(publishes);
    // Messages on their way to the stopping instance are naked for the other one, not left to ackWait (2 minutes here).
    await waitFor('every message of the second burst handled', () => calls.size === before + 500, { timeout: 60_000 });
  });
});
