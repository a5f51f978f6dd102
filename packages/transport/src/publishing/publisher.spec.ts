import { errors, headers } from '@nats-io/nats-core';
import { InvalidHeaderError, InvalidSubjectError } from '../errors/input.errors.js';
import { JetStreamTransportError } from '../errors/jetstream-transport.error.js';
import { PublishFailedError, PublishRejectedError } from '../errors/publish.errors.js';
import { validHeaderNamesCached } from '../utils/headers.js';
import { Publisher, toPublishError } from './publisher.js';

describe('toPublishError', () => {
  it('wraps an error the library has no specific class for, keeping it as the cause', () => {
    const raw = new errors.ProtocolError('something odd');
    const err = toPublishError(raw, 'orders.created', {});
    expect(err).toBeInstanceOf(PublishFailedError);
    expect(err).toBeInstanceOf(JetStreamTransportError);
    expect((err as PublishFailedError).code).toBe('PUBLISH_FAILED');
    expect(err.message).toMatch(/^Publish to "orders.created" failed: ProtocolError: something odd\. .*publish again with the same msgId/);
    expect(err.cause).toBe(raw);
    expect(toPublishError('not even an Error', 's', {})).toBeInstanceOf(PublishFailedError);
  });

  it('classifies a payload over max_payload by the client error class', () => {
    const err = toPublishError(errors.InvalidArgumentError.format('payload', 'max_payload size exceeded'), 'a.b', {});
    expect(err).toBeInstanceOf(PublishRejectedError);
    expect(err.message).toMatch(/raise max_payload on the server/);
  });

  it("passes the library's own errors through", () => {
    const own = new PublishFailedError('x', 'y');
    expect(toPublishError(own, 'x', {})).toBe(own);
  });
});

describe('Publisher refusals (nothing reaches the client)', () => {
  const publishes: string[] = [];
  const js = {
    publish: (subject: string) => (publishes.push(subject), Promise.resolve({ stream: 'S', seq: 1, duplicate: false })),
  } as unknown as ConstructorParameters<typeof Publisher>[0];
  const publisher = new Publisher(js, {} as ConstructorParameters<typeof Publisher>[1], { timeoutMs: 1000, retryBudgetMs: 1000 });
  const bytes = new Uint8Array();

  it('refuses a bad subject or header with a typed error, without calling the client', async () => {
    await expect(publisher.publish('a.*', bytes)).rejects.toBeInstanceOf(InvalidSubjectError);
    await expect(publisher.publish('a.\u0000', bytes)).rejects.toBeInstanceOf(InvalidSubjectError);
    await expect(publisher.publish(undefined as unknown as string, bytes)).rejects.toThrow(/Cannot publish to "undefined": it is not a string but undefined/);
    await expect(publisher.publish('a.b', bytes, { headers: { 'X-A': 'v\r\nX-B: 1' } })).rejects.toBeInstanceOf(InvalidHeaderError);
    // A MsgHdrs of the caller's: the client checked CR/LF as it was built, not the other control characters.
    const own = headers();
    own.append('X-A', 'esc\u001b[2J');
    await expect(publisher.publish('a.b', bytes, { headers: own })).rejects.toThrow(
      /Header "X-A" for "a\.b" is invalid: the value has control character U\+001B at position 3/,
    );
    expect(publishes).toEqual([]);
    await publisher.publish('a.b', bytes, { headers: { 'X-A': 'fine\tvalue' } });
    expect(publishes).toEqual(['a.b']);
  });

  it('caches a valid header name, still checks every value, never caches a bad name, and keeps the cache bounded', async () => {
    await publisher.publish('a.b', bytes, { headers: { 'X-Cached': 'one' } });
    // The name is known now: a bad value under it is still refused.
    await expect(publisher.publish('a.b', bytes, { headers: { 'X-Cached': 'two\nX-Evil: 1' } })).rejects.toThrow(
      /Header "X-Cached" for "a\.b" is invalid: the value has an LF/,
    );
    for (let i = 0; i < 2; i++)
      await expect(publisher.publish('a.b', bytes, { headers: { 'Bad Name': 'v' } })).rejects.toThrow(/Header "Bad Name" for "a\.b" is invalid: the name has/);
    for (let i = 0; i < 3000; i++) await publisher.publish('a.b', bytes, { headers: { [`X-Entity-${i}`]: 'v' } });
    expect(validHeaderNamesCached()).toBeLessThanOrEqual(1000);
    // Past the bound a name is checked each time, and a bad one is still refused.
    await expect(publisher.publish('a.b', bytes, { headers: { 'X:Colon': 'v' } })).rejects.toBeInstanceOf(InvalidHeaderError);
  });
});
