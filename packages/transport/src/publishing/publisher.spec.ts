import { errors } from '@nats-io/nats-core';
import { JetStreamTransportError } from '../errors/jetstream-transport.error.js';
import { PublishFailedError, PublishRejectedError } from '../errors/publish.errors.js';
import { toPublishError } from './publisher.js';

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

  it('passes the library\'s own errors through', () => {
    const own = new PublishFailedError('x', 'y');
    expect(toPublishError(own, 'x', {})).toBe(own);
  });
});
