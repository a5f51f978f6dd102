import { headers } from '@nats-io/nats-core';
import type { JsMsg } from '@nats-io/jetstream';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { msgIdKey, resolveIdempotency, sequenceKey } from './idempotency-key.js';
import { MemoryIdempotencyStore } from './memory-idempotency.store.js';

const AT = "@JetStreamEvent('orders.created')";
const store = new MemoryIdempotencyStore();

function msg(stream: string, seq: number, msgId?: string): JsMsg {
  const h = headers();
  if (msgId !== undefined) h.set('Nats-Msg-Id', msgId);
  return { info: { stream, streamSequence: seq }, headers: msgId === undefined ? undefined : h } as unknown as JsMsg;
}
const ctxOf = (m: JsMsg) =>
  ({ getMessage: () => m, getInfo: () => ({ stream: m.info.stream, streamSequence: m.info.streamSequence }) }) as unknown as JetStreamContext;

describe('idempotency keys', () => {
  it('keys by stream and stream sequence', () => {
    expect(sequenceKey(msg('ORDERS', 42))).toBe('ORDERS:42');
  });

  it("keys by the publisher's msgId, and by stream and sequence when there is none", () => {
    expect(msgIdKey(msg('ORDERS', 7, 'order-1'))).toBe('order-1');
    expect(msgIdKey(msg('ORDERS', 7))).toBe('ORDERS:7');
    expect(msgIdKey(msg('ORDERS', 7, ''))).toBe('ORDERS:7');
  });
});

describe('resolveIdempotency', () => {
  it('is off unless asked', () => {
    expect(resolveIdempotency(AT, undefined, store)).toBeUndefined();
    expect(resolveIdempotency(AT, false, undefined)).toBeUndefined();
  });

  it('takes true as the sequence key, and each key option', () => {
    const m = ctxOf(msg('ORDERS', 3, 'abc'));
    expect(resolveIdempotency(AT, true, store)).toMatchObject({ store, key: 'sequence' });
    expect(resolveIdempotency(AT, true, store)!.keyOf(m)).toBe('ORDERS:3');
    expect(resolveIdempotency(AT, {}, store)!.keyOf(m)).toBe('ORDERS:3');
    expect(resolveIdempotency(AT, { key: 'msgId' }, store)!.keyOf(m)).toBe('abc');
    const custom = resolveIdempotency(AT, { key: (c: JetStreamContext) => `billing:${c.getInfo().streamSequence}` }, store)!;
    expect(custom.key).toBe('custom');
    expect(custom.keyOf(m)).toBe('billing:3');
  });

  it('refuses a custom key that is not a non-empty string, naming the handler', () => {
    const empty = resolveIdempotency(AT, { key: () => '' }, store)!;
    expect(() => empty.keyOf(ctxOf(msg('ORDERS', 1)))).toThrow(/@JetStreamEvent\('orders.created'\): the idempotent.key function returned ""/);
    const notString = resolveIdempotency(AT, { key: () => 5 as unknown as string }, store)!;
    expect(() => notString.keyOf(ctxOf(msg('ORDERS', 1)))).toThrow(JetStreamConfigError);
  });

  it('is a config error without a store, naming the handler and the fix', () => {
    let error: unknown;
    try {
      resolveIdempotency(AT, true, undefined);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(JetStreamConfigError);
    expect((error as Error).message).toMatch(/@JetStreamEvent\('orders.created'\) is marked idempotent, but the server has no idempotency store/);
    expect((error as Error).message).toMatch(/idempotency: \{ store/);
  });

  it.each([['yes'], [1], [null], [[]], [{ key: 'seq' }], [{ keys: 'msgId' }]])('refuses idempotent: %p', (value) => {
    expect(() => resolveIdempotency(AT, value, store)).toThrow(/idempotent must be true, false or \{ key: 'sequence' \| 'msgId' \| \(ctx\) => string \}/);
  });

  it("refuses mode 'broadcast', where every instance makes the same key", () => {
    expect(() => resolveIdempotency(AT, true, store, 'broadcast')).toThrow(
      /not supported with mode 'broadcast'.*the first to handle it would make the others skip it/,
    );
    expect(resolveIdempotency(AT, true, store, 'ordered')?.key).toBe('sequence');
  });
});
