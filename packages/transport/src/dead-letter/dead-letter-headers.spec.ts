import { headers } from '@nats-io/nats-core';
import { DeadLetterHeaders, buildDeadLetterHeaders, deadLetterMsgId, originalHeaders, readDeadLetter, readHeaders } from './dead-letter-headers.js';

const facts = {
  subject: 'orders.created',
  stream: 'ORDERS',
  sequence: 42,
  consumer: 'svc__orders_created',
  deliveries: 5,
  reason: 'Error: boom\nline 2',
  time: new Date('2026-11-22T00:00:00Z'),
};

describe('dead-letter headers', () => {
  it('keeps every original header value, moves the msgId and server-control headers aside, adds the contract', () => {
    const o = headers();
    o.append('x-tenant', 'acme');
    o.append('x-multi', 'a');
    o.append('x-multi', 'b');
    o.set('Nats-Msg-Id', 'order-1');
    o.set('Nats-Expected-Last-Sequence', '7');
    const h = buildDeadLetterHeaders(o, facts);
    expect(h.values('x-multi')).toEqual(['a', 'b']);
    expect(h.get('x-tenant')).toBe('acme');
    expect(h.has('Nats-Msg-Id')).toBe(false);
    expect(h.has('Nats-Expected-Last-Sequence')).toBe(false);
    expect(h.get('Dead-Letter-Original-Nats-Expected-Last-Sequence')).toBe('7');
    expect(h.get(DeadLetterHeaders.MsgId)).toBe('order-1');
    expect(h.get(DeadLetterHeaders.Reason)).toBe('Error: boom line 2');
    expect(readDeadLetter(h)).toMatchObject({ subject: 'orders.created', stream: 'ORDERS', sequence: 42, deliveries: 5, msgId: 'order-1' });
  });

  it('carries the stack, bounded, in Dead-Letter-Stack, and reads it back; none without one', () => {
    const stack = ['TypeError: boom', ...Array.from({ length: 100 }, (_, i) => `    at frame${i} (/app/dist/orders.handler.js:${i}:7)`)].join('\n');
    const h = buildDeadLetterHeaders(undefined, { ...facts, stack });
    const value = h.get(DeadLetterHeaders.Stack);
    expect(value.length).toBeLessThanOrEqual(2048);
    expect(value).not.toMatch(/[\r\n]/);
    const back = readDeadLetter(h)!.stack!;
    expect(back.startsWith('TypeError: boom\n    at frame0 (/app/dist/orders.handler.js:0:7)\n')).toBe(true);
    expect(back).toMatch(/\n {4}… \d+ more line\(s\)$/);
    expect(buildDeadLetterHeaders(undefined, facts).has(DeadLetterHeaders.Stack)).toBe(false);
    expect(readDeadLetter(buildDeadLetterHeaders(undefined, facts))).not.toHaveProperty('stack');
  });

  it('gives the original headers back for a redrive, without the dead-letter ones or stale expectations', () => {
    const o = headers();
    o.append('x-tenant', 'acme');
    o.set('Nats-Msg-Id', 'order-1');
    o.set('Nats-Expected-Stream', 'ORDERS');
    const back = originalHeaders(buildDeadLetterHeaders(o, facts))!;
    expect([...back.keys()]).toEqual(['x-tenant']);
    expect(originalHeaders(buildDeadLetterHeaders(undefined, facts))).toBeUndefined();
  });

  it('names one dead letter per original message', () => {
    expect(deadLetterMsgId('ORDERS', 42)).toBe('dlq:ORDERS:42');
  });
});

describe('dead-letter headers from hostile messages', () => {
  it('cuts values over 4096 characters and replaces control characters, naming the headers it altered', () => {
    const o = headers();
    o.append('X-Big', 'y'.repeat(100_000));
    o.append('X-Ctl', 'a\x00b\x1b[31m');
    o.append('X-Fine', 'ok');
    o.set('Nats-Msg-Id', 'z'.repeat(5000));
    const h = buildDeadLetterHeaders(o, facts);
    expect(h.get('X-Big')).toHaveLength(4096);
    expect(h.get('X-Big').endsWith('…')).toBe(true);
    expect(h.get('X-Ctl')).toBe('a\uFFFDb\uFFFD[31m');
    expect(h.get('X-Fine')).toBe('ok');
    expect(h.get(DeadLetterHeaders.MsgId)).toHaveLength(4096);
    expect(h.get(DeadLetterHeaders.Altered)).toBe('X-Big X-Ctl Nats-Msg-Id');
    expect(buildDeadLetterHeaders(headers(), facts).has(DeadLetterHeaders.Altered)).toBe(false);
  });

  it('keeps control characters out of the reason', () => {
    expect(buildDeadLetterHeaders(undefined, { ...facts, reason: 'Error: \x1b[2Jgone\x00' }).get(DeadLetterHeaders.Reason)).toBe('Error: \uFFFD[2Jgone\uFFFD');
  });

  it('says why headers that cannot be parsed were left out, instead of failing the dead letter', () => {
    const read = readHeaders(() => {
      throw new Error("'header' ' ' is not a valid character in a header name");
    });
    expect(read.headers).toBeUndefined();
    const h = buildDeadLetterHeaders(read.headers, { ...facts, headersUnreadable: read.unreadable });
    expect(h.get(DeadLetterHeaders.HeadersUnreadable)).toMatch(/^Error: ".*not a valid character in a header name"$/);
    expect(readHeaders(() => undefined)).toEqual({ headers: undefined });
  });
});
