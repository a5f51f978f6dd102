import { Controller, Module } from '@nestjs/common';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import type { DeadLetterLostEvent } from '../events/settle.events.js';

// A message whose dead letter cannot be published on the server's last delivery is never silently
// stranded: the handler path reports it.

@Controller()
class StrandedController {
  @JetStreamEvent('stranded.work', { maxDeliver: 1, deadLetter: 'strandeddlq.work' })
  fail() {
    throw new Error('always fails');
  }
}

@Module({ controllers: [StrandedController] })
class StrandedModule {}

describe('a dead letter that cannot be published on the last delivery (real nats-server)', () => {
  const h = new Harness();
  const source = uniqueName('STRANDED');
  const dlq = uniqueName('STRANDEDDLQ');

  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('is reported with where it stays, instead of being stranded silently', async () => {
    const lost: DeadLetterLostEvent[] = [];
    const { strategy } = await h.app(StrandedModule, {
      serviceName: 'stranded',
      streams: [
        { name: source, subjects: ['stranded.>'] },
        { name: dlq, subjects: ['strandeddlq.>'] },
      ],
      consumerDefaults: { backoff: ['50ms'] },
      deadLetterAdvisories: false,
    });
    strategy.on('deadLetterLost', (e) => lost.push(e));
    await h.jsm.streams.delete(dlq);
    const { seq } = await h.js.publish('stranded.work', '{}');
    await waitFor('the report of the last delivery', () => lost.find((e) => e.streamSequence === seq), { timeout: 30_000 });
    expect(lost.find((e) => e.streamSequence === seq)).toMatchObject({
      stream: source,
      consumer: 'stranded__stranded_work',
      advisory: 'last_delivery',
      why: expect.stringMatching(/server's last delivery \(11\).*will not deliver it again\. It stays in .* #\d+/),
    });
    // Still in its stream, as the report says.
    expect((await h.jsm.streams.getMessage(source, { seq }))?.json()).toEqual({});
  });
});
