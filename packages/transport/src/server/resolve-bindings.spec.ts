import { resolveBinding } from './resolve-bindings.js';

const handler = async () => undefined;

describe('resolveBinding', () => {
  it('applies library defaults, then consumerDefaults, then handler options', () => {
    const b = resolveBinding('orders.created', { maxDeliver: 7 }, { ackWait: '10s', concurrency: 2 }, 'billing', handler);
    expect(b).toMatchObject({
      subject: 'orders.created',
      durable: 'billing__orders_created',
      ackWaitMs: 10_000,
      maxDeliver: 7,
      backoffMs: [1000, 5000, 30_000],
      concurrency: 2,
      maxAckPending: 100,
      deliverPolicy: 'all',
      manualAck: false,
    });
  });

  it('names the handler and the option in every error', () => {
    expect(() => resolveBinding('a.b', { maxDeliver: 0 }, {}, 's', handler)).toThrow(/@JetStreamEvent\('a\.b'\) maxDeliver must be a whole number ≥ 1; got 0/);
    expect(() => resolveBinding('a.b', { concurrency: 50, maxAckPending: 10 }, {}, 's', handler)).toThrow(/maxAckPending \(10\) is below concurrency \(50\)/);
    expect(() => resolveBinding('a.b', { deliverPolicy: 'by_start_sequence' }, {}, 's', handler)).toThrow(/needs optStartSeq/);
    expect(() => resolveBinding('a..b', {}, {}, 's', handler)).toThrow(/subject is invalid: it has an empty token/);
    expect(() => resolveBinding('a.b', { durable: 'has.dot' }, {}, 's', handler)).toThrow(/durable "has\.dot" is invalid/);
    expect(() => resolveBinding('a.b', { ackWait: 'soon' }, {}, 's', handler)).toThrow(/ackWait must be milliseconds/);
  });
});
