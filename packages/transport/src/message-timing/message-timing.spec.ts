import type { JetStreamManager, StreamConfig } from '@nats-io/jetstream';
import { PublishOptionUnsupportedError } from '../errors/publish-option-unsupported.error.js';
import { PublishRejectedError } from '../errors/publish.errors.js';
import { MessageTiming } from './message-timing.js';

/** The two stream reads MessageTiming makes (STREAM.NAMES by subject, then STREAM.INFO), counted; the config can change between reads. */
function fakeStreams(config: Partial<StreamConfig>) {
  const reads = { find: 0, info: 0 };
  const current = { config: { name: 'ORDERS', subjects: ['orders.>'], retention: 'limits', ...config } };
  const jsm = {
    streams: {
      find: async () => {
        reads.find++;
        return 'ORDERS';
      },
      info: async () => {
        reads.info++;
        return { config: { ...current.config } };
      },
    },
  } as unknown as JetStreamManager;
  return { jsm, reads, current };
}

const refused = (code: number, reason: string) => new PublishRejectedError('orders.a', code, reason);

describe('MessageTiming after a refusal', () => {
  it('reads the stream once for many publishes refused together (TTL turned off meanwhile), each gets the typed error', async () => {
    const { jsm, reads, current } = fakeStreams({ allow_msg_ttl: true });
    const timing = new MessageTiming(jsm, () => '2.15.1');
    const subjects = ['orders.a', 'orders.b', 'orders.c', 'orders.d', 'orders.e'];
    const plans = await Promise.all(subjects.map((s) => timing.plan(s, { ttl: '30s' })));
    expect(reads).toEqual({ find: 1, info: 1 });
    // The stream is recreated without allow_msg_ttl: the server refuses every publish in flight.
    current.config = { ...current.config, allow_msg_ttl: false };
    const explained = await Promise.allSettled(
      plans.map((plan, i) => timing.explain(subjects[i], { ttl: '30s' }, refused(10166, 'per-message TTL is disabled'), plan)),
    );
    for (const result of explained) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(PublishOptionUnsupportedError);
    }
    expect(reads).toEqual({ find: 2, info: 2 });
  });

  it('a refusal that arrives after another already read the stream again makes no read of its own', async () => {
    const { jsm, reads, current } = fakeStreams({ allow_msg_ttl: false });
    const timing = new MessageTiming(jsm, () => '2.15.1');
    current.config = { ...current.config, allow_msg_ttl: true };
    const first = await timing.plan('orders.a', { ttl: '30s' });
    const second = await timing.plan('orders.b', { ttl: '30s' });
    current.config = { ...current.config, allow_msg_ttl: false };
    await expect(timing.explain('orders.a', { ttl: '30s' }, refused(10166, 'disabled'), first)).rejects.toBeInstanceOf(PublishOptionUnsupportedError);
    await expect(timing.explain('orders.b', { ttl: '30s' }, refused(10166, 'disabled'), second)).rejects.toBeInstanceOf(PublishOptionUnsupportedError);
    expect(reads).toEqual({ find: 2, info: 2 });
  });

  it.each([
    [10165, 'invalid per-message TTL'],
    [10191, 'invalid schedule TTL'],
  ])('a bad value (%d) is the caller’s: its refusal is returned as is, with no read and no second publish', async (code, reason) => {
    const { jsm, reads } = fakeStreams({ allow_msg_ttl: true });
    const timing = new MessageTiming(jsm, () => '2.15.1');
    const plan = await timing.plan('orders.a', { ttl: '30s' });
    const err = refused(code, reason);
    await expect(timing.explain('orders.a', { ttl: '30s' }, err, plan)).rejects.toBe(err);
    expect(reads).toEqual({ find: 1, info: 1 });
  });
});
