import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { InvalidSubjectError } from '../errors/input.errors.js';
import { BatchTooLargeError, BatchUnsupportedError } from './batch-publish.errors.js';
import { StreamLookup } from './stream-lookup.js';
import { BatchPublisher } from './batch-publisher.js';

// The checks made before anything is sent: a connection that is never touched proves it.
const untouched = new Proxy(
  {},
  {
    get: (_t, p) => {
      throw new Error(`touched ${String(p)}`);
    },
  },
);
const publisher = (version?: string) => new BatchPublisher(untouched as NatsConnection, new StreamLookup(untouched as JetStreamManager), 1000, () => version);
const msg = (subject = 'orders.a') => ({ subject, payload: new Uint8Array([1]), options: {} });

describe('BatchPublisher before sending', () => {
  it('refuses an empty batch, more than 1000 messages, and a server older than 2.12, naming the version', async () => {
    await expect(publisher('2.15.1').publish([])).rejects.toThrow(JetStreamConfigError);
    await expect(publisher('2.15.1').publish(Array.from({ length: 1001 }, () => msg()))).rejects.toThrow(BatchTooLargeError);
    const old = await publisher('2.11.4')
      .publish([msg()])
      .catch((e: unknown) => e);
    expect(old).toBeInstanceOf(BatchUnsupportedError);
    expect((old as Error).message).toMatch(/^nats-server 2\.11\.4 has no atomic batch publish .* Upgrade nats-server to 2\.12\.0 or newer/);
  });

  it('refuses a subject with a wildcard, naming it', async () => {
    await expect(publisher('2.15.1').publish([msg('orders.*')])).rejects.toThrow(InvalidSubjectError);
  });
});
