import { createTestContext } from './test-context.js';

describe('createTestContext', () => {
  it('gives the handler the message it describes', () => {
    const timestamp = new Date('2026-01-02T03:04:05.678Z');
    const { ctx } = createTestContext({
      subject: 'orders.created',
      data: { id: 'o-1' },
      headers: { 'Nats-Msg-Id': 'o-1', 'Nest-Meta-tenant': 'acme', 'X-Many': ['a', 'b'] },
      deliveryCount: 3,
      stream: 'ORDERS',
      consumer: 'billing__orders_created',
      streamSequence: 42,
      pending: 7,
      timestamp,
    });
    expect(ctx.getSubject()).toBe('orders.created');
    expect(ctx.getMessage().json()).toEqual({ id: 'o-1' });
    expect(ctx.getHeader('Nats-Msg-Id')).toBe('o-1');
    expect(ctx.getHeaders()?.values('X-Many')).toEqual(['a', 'b']);
    expect(ctx.getMetadata()).toEqual({ tenant: 'acme' });
    expect(ctx.getInfo()).toEqual({
      stream: 'ORDERS',
      consumer: 'billing__orders_created',
      streamSequence: 42,
      consumerSequence: 42,
      deliveryCount: 3,
      timestamp,
      pending: 7,
    });
    expect(ctx.getMessage().redelivered).toBe(true);
    expect(ctx.idempotencyKey).toBe('ORDERS:42');
  });

  it('has defaults for everything but the subject, and bytes stay bytes', () => {
    const { ctx } = createTestContext({ subject: 'raw.in', data: new Uint8Array([0xff, 0x00]) });
    expect(ctx.getMessage().data).toEqual(new Uint8Array([0xff, 0x00]));
    expect(ctx.getHeaders()).toBeUndefined();
    expect(ctx.getInfo()).toMatchObject({ stream: 'TEST', consumer: 'test', deliveryCount: 1, streamSequence: 1, pending: 0 });
    expect(createTestContext({ subject: 'x' }).ctx.getMessage().data).toHaveLength(0);
  });

  it('records ack, nak, term and working in order; the first settle wins, as in the server', () => {
    const { ctx, calls } = createTestContext({ subject: 'orders.created' });
    expect(ctx.isSettled()).toBe(false);
    ctx.working();
    ctx.nak('5s');
    ctx.term('too late');
    expect(calls).toEqual([{ action: 'working' }, { action: 'nak', delay: '5s' }, { action: 'term', reason: 'too late' }]);
    expect(ctx.settledWith).toBe('nak');
    expect(ctx.isSettled()).toBe(true);
  });

  it('refuses a settle on the raw message, which the server would never see from a handler', () => {
    const { ctx, calls } = createTestContext({ subject: 'orders.created' });
    expect(() => ctx.getMessage().ack()).toThrow(/settle through the JetStreamContext/);
    expect(calls).toEqual([]);
  });
});
