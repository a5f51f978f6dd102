import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { FAST_BATCH_DEFAULTS } from '../utils/batch-limits.js';
import { FastBatchPublisher, resolveFastBatchOptions } from './fast-batch-publisher.js';
import { FastBatchUnsupportedError } from './fast-batch.errors.js';
import { StreamLookup } from './stream-lookup.js';

const untouched = new Proxy({}, { get: () => fail('nothing may be sent') });

describe('fast batch options', () => {
  it('a call overrides the client defaults, which override the library defaults; the timeout defaults to the publish timeout', () => {
    expect(resolveFastBatchOptions(undefined, {}, 2000)).toEqual({ ...FAST_BATCH_DEFAULTS, timeoutMs: 2000 });
    expect(resolveFastBatchOptions({ ackInterval: 500, timeout: '5s' }, { allowGaps: true }, 2000)).toEqual({
      ackInterval: 500,
      maxOutstandingAcks: 2,
      allowGaps: true,
      timeoutMs: 5000,
    });
    expect(resolveFastBatchOptions({ ackInterval: 500, timeout: '5s' }, { ackInterval: 20, timeout: 100 }, 2000)).toMatchObject({
      ackInterval: 20,
      timeoutMs: 100,
    });
  });

  it('publish.fastBatch is checked when the client is constructed, naming the option', () => {
    expect(() => new JetStreamClient({ publish: { fastBatch: { ackInterval: 0 } } })).toThrow(
      new JetStreamConfigError('JetStreamClient: publish.fastBatch.ackInterval must be a whole number ≥ 1; got 0.'),
    );
    expect(() => new JetStreamClient({ publish: { fastBatch: { maxOutstandingAcks: 5 } } })).toThrow('publish.fastBatch.maxOutstandingAcks must be 1, 2 or 3');
    expect(() => new JetStreamClient({ publish: { fastBatch: { allowGap: true } as never } })).toThrow('(did you mean "publish.fastBatch.allowGaps"?)');
    expect(() => new JetStreamClient({ publish: { fastBatch: { timeout: 0 } } })).toThrow('publish.fastBatch.timeout must be more than 0');
  });

  it('on a server older than 2.14 nothing is looked up or sent', async () => {
    const publisher = new FastBatchPublisher(untouched as NatsConnection, new StreamLookup(untouched as JetStreamManager), () => '2.12.1');
    const err = await publisher
      .publish([{ subject: 'a.b', payload: new Uint8Array(), options: {} }], resolveFastBatchOptions(undefined, {}, 1000))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FastBatchUnsupportedError);
    expect((err as Error).message).toMatch(/^nats-server 2\.12\.1 has no fast-ingest batches \(they arrived in nats-server 2\.14\.0;/);
  });
});
