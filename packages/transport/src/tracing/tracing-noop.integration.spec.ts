import { waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamTracing } from './jetstream.tracing.js';

// With no tracer provider registered, tracing installs no hook: nothing runs per message and
// nothing is added to the messages.

describe('tracing with no tracer provider (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('UNTRACED');

  beforeAll(async () => {
    await h.start();
    await h.jsm.streams.add({ name: stream, subjects: ['untraced.>'] });
  });
  afterAll(() => h.stop());

  it('has no hooks, and publishes carry no trace header', async () => {
    const tracing = new JetStreamTracing();
    expect(tracing.enabled).toBe(false);
    expect(tracing.consume).toBeUndefined();
    expect(tracing.publish).toBeUndefined();
    const client = new JetStreamClient({ connection: { servers: h.server.url }, tracing });
    try {
      const { seq } = await client.publish('untraced.work', { n: 1 });
      const stored = await waitFor('the message', () => h.jsm.streams.getMessage(stream, { seq }));
      expect([...(stored.header?.keys() ?? [])].filter((k) => /traceparent|tracestate/i.test(k))).toEqual([]);
    } finally {
      await client.close();
    }
  });
});
