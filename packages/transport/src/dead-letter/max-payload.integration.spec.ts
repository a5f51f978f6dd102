import { Controller, Module } from '@nestjs/common';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { DEFAULTS } from '../constants.js';
import type { DeadLetterEvent, DeadLetterLostEvent } from '../events/settle.events.js';
import { DeadLetterHeaders, readDeadLetter } from './dead-letter-headers.js';

// A dead letter carries our headers (a reason up to 1024 characters, a stack up to 2048) besides the
// original payload: near the server's max_payload the client refuses it. It is sent once more without
// the stack and with a short reason, instead of leaving the message stranded in its stream.

const MAX_PAYLOAD = 8192;

/** An error with a long message and three causes: the longest reason and stack headers. */
function bigFailure(): Error {
  let err = new Error(`the warehouse refused the order: ${'x'.repeat(1500)}`);
  for (let i = 0; i < 3; i++) err = new Error(`layer ${i} failed: ${'y'.repeat(300)}`, { cause: err });
  return err;
}

@Controller()
class BigController {
  @JetStreamEvent('bigdl.work', { maxDeliver: 1, deadLetter: 'bigdlq.work' })
  fail() {
    throw bigFailure();
  }
}

@Module({ controllers: [BigController] })
class BigModule {}

describe('a dead letter refused for max_payload (real nats-server, max_payload 8192)', () => {
  const h = new Harness();
  const source = uniqueName('BIGDL');
  const dlq = uniqueName('BIGDLQ');

  beforeAll(() => h.start(`max_payload: ${MAX_PAYLOAD}`));
  afterAll(() => h.stop());

  it('is sent again without its stack and with a short reason, for a payload 1 KiB under max_payload', async () => {
    const dead: DeadLetterEvent[] = [];
    const lost: DeadLetterLostEvent[] = [];
    const { strategy } = await h.app(BigModule, {
      serviceName: 'bigdl',
      streams: [
        { name: source, subjects: ['bigdl.>'] },
        { name: dlq, subjects: ['bigdlq.>'] },
      ],
      deadLetterAdvisories: false,
    });
    strategy.on('deadLetter', (e) => dead.push(e));
    strategy.on('deadLetterLost', (e) => lost.push(e));
    expect(h.nc.info?.max_payload).toBe(MAX_PAYLOAD);

    const payload = new TextEncoder().encode(JSON.stringify({ blob: 'z'.repeat(MAX_PAYLOAD - 1024 - 11) }));
    expect(payload.length).toBe(MAX_PAYLOAD - 1024);
    const { seq } = await h.js.publish('bigdl.work', payload);

    const event = await waitFor('the dead letter', () => dead.find((e) => e.streamSequence === seq), { timeout: 15_000 });
    const stored = (await h.jsm.streams.getMessage(dlq, { seq: event.deadLetterSequence }))!;
    expect(stored.data).toEqual(payload);
    const facts = readDeadLetter(stored.header)!;
    expect(facts).toMatchObject({ stream: source, sequence: seq, consumer: 'bigdl__bigdl_work' });
    expect(facts.reason).toMatch(/^failed on the last attempt \(1\/1\): Error: layer 2 failed: y+…$/);
    expect(facts.reason).toHaveLength(DEFAULTS.deadLetter.trimmedReasonLength);
    expect(facts).not.toHaveProperty('stack');
    expect(stored.header.get(DeadLetterHeaders.Trimmed)).toMatch(/max_payload.*without Dead-Letter-Stack.*256/);
    expect(event.headers.get(DeadLetterHeaders.Trimmed)).toBe(stored.header.get(DeadLetterHeaders.Trimmed));
    expect(lost).toEqual([]);
    // Settled: the original is not redelivered (no pending ack, nothing left to deliver).
    await waitFor('the original settled', async () => {
      const info = await h.jsm.consumers.info(source, 'bigdl__bigdl_work');
      return info.num_ack_pending === 0 && info.num_pending === 0;
    });
  });
});
