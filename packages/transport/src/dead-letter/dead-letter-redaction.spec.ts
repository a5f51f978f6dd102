import type { PubAck } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/nats-core';
import type { HandlerBinding } from '../bindings/handler-binding.js';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';
import type { Publisher } from '../publishing/publisher.js';
import { createRedactor } from '../security/redact.js';
import { DeadLetterHeaders, buildDeadLetterHeaders } from './dead-letter-headers.js';
import { DeadLetterRouter } from './dead-letter.router.js';

// The connection's own secret, of no recognisable shape: only the server's redactor knows it.
const SECRET = 'canaryPw123';
const redact = createRedactor({ user: 'billing', pass: SECRET });
const facts = {
  subject: 'orders.created',
  stream: 'ORDERS',
  sequence: 42,
  consumer: 'billing__orders_created',
  deliveries: 5,
  reason: 'boom',
  time: new Date('2026-11-22T00:00:00Z'),
};

function echoingError(): Error {
  const err = new Error(`login with ${SECRET} refused`);
  err.stack = `Error: login with ${SECRET} refused\n    at handle (/app/dist/orders.handler.js:1:7)\n    at NATS_PASS=${SECRET} (/app/dist/env.js:2:3)`;
  return err;
}

describe('the dead letter stack header, redacted with the server redactor', () => {
  it('removes the verbatim secrets the redactor knows and keeps the frames', () => {
    const stack = buildDeadLetterHeaders(undefined, { ...facts, stack: echoingError().stack }, redact).get(DeadLetterHeaders.Stack);
    expect(stack).not.toContain(SECRET);
    expect(stack).toContain('login with *** refused');
    expect(stack).toContain('/app/dist/orders.handler.js:1:7');
  });

  it('is what DeadLetterRouter publishes: the stack of the error that dead-lettered the message', async () => {
    const published: MsgHdrs[] = [];
    const publisher = {
      publish: (_subject: string, _data: Uint8Array, options: { headers?: MsgHdrs }) => {
        if (options.headers) published.push(options.headers);
        return Promise.resolve({ stream: 'DLQ', seq: 1, duplicate: false } as PubAck);
      },
    } as unknown as Publisher;
    const router = new DeadLetterRouter(publisher, () => undefined, redact);
    const msg = { subject: 'orders.created', data: new Uint8Array(), headers: undefined, info: { stream: 'ORDERS', streamSequence: 42, deliveryCount: 5 } };
    const ctx = { getMessage: () => msg } as unknown as JetStreamContext;
    const binding = { durable: 'billing__orders_created', subject: 'orders.created', stream: 'ORDERS', deadLetter: 'dlq.{subject}' } as HandlerBinding;
    await router.route(binding, ctx, `Error: login with ${SECRET} refused`, true, echoingError());
    expect(published).toHaveLength(1);
    const stack = published[0].get(DeadLetterHeaders.Stack);
    expect(stack).toContain('/app/dist/orders.handler.js:1:7');
    expect(stack).not.toContain(SECRET);
    expect(published[0].get(DeadLetterHeaders.Reason)).not.toContain(SECRET);
  });
});
