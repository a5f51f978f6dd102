import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { waitFor } from '@nest-jetstream/testing';
import { z } from 'zod';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { readDeadLetter } from '../dead-letter/dead-letter-headers.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import type { DeadLetterEvent } from '../events/settle.events.js';

// A handler with a schema, against a real server: a valid payload reaches it as zod parsed it; an
// invalid one never does, and is dead-lettered at once (no retry) with its failing fields.
describe('payload schemas on a real server', () => {
  const h = new Harness();
  const stream = uniqueName('SCHEMA');
  const subject = `${stream.toLowerCase()}.orders`;
  const deadLetters = `${stream.toLowerCase()}-dead.orders`;
  const handled: unknown[] = [];
  const Order = z.object({ id: z.string(), qty: z.number().int().min(1), note: z.string().default('none') });

  @Controller()
  class Orders {
    @JetStreamEvent(subject, { schema: Order, maxDeliver: 3, backoff: ['100ms'], deadLetter: deadLetters })
    placed(@Payload() order: z.infer<typeof Order>): void {
      handled.push(order);
    }
  }
  @Module({ controllers: [Orders] })
  class AppModule {}

  const dead: DeadLetterEvent[] = [];
  beforeAll(async () => {
    await h.start();
    const { strategy } = await h.app(AppModule, {
      serviceName: 'schemas',
      streams: [
        { name: stream, subjects: [subject] },
        { name: `${stream}_DEAD`, subjects: [deadLetters] },
      ],
    });
    strategy.on('deadLetter', (event) => dead.push(event));
  }, 60_000);
  afterAll(() => h.stop());

  it('hands a valid payload to the handler as the schema parsed it', async () => {
    await h.js.publish(subject, JSON.stringify({ id: 'o-1', qty: 2 }));
    await waitFor('the valid order to be handled', () => handled.length === 1, { timeout: 30_000 });
    expect(handled).toEqual([{ id: 'o-1', qty: 2, note: 'none' }]);
  });

  it('dead-letters an invalid payload on its first delivery with the failing fields, without running the handler', async () => {
    const ack = await h.js.publish(subject, JSON.stringify({ id: 42, qty: 0 }));
    const event = await waitFor('the invalid order to be dead-lettered', () => dead.find((d) => d.streamSequence === ack.seq), { timeout: 30_000 });
    expect(event).toMatchObject({ deliveryCount: 1, exhausted: false });
    const stored = await h.jsm.streams.getMessage(`${stream}_DEAD`, { last_by_subj: deadLetters });
    const dl = readDeadLetter(stored!.header);
    expect(dl).toMatchObject({ subject, sequence: ack.seq, deliveries: 1 });
    expect(dl?.reason).toMatch(
      /^PayloadValidationError: Payload on ".+" does not match the schema of @JetStreamEvent\('.+'\) on Orders\.placed: id: .+; qty: .+/,
    );
    expect(handled).toHaveLength(1);
  });
});
