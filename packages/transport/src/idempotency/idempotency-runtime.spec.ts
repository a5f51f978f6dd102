import 'reflect-metadata';
import type { LoggerService } from '@nestjs/common';
import type { HandlerBinding } from '../bindings/handler-binding.js';
import { checkIdempotentBindings, redeliverySpanMs, startIdempotency } from './idempotency-runtime.js';
import { validateOptions } from '../config/validate-options.js';
import type { JetStreamOptions } from '../interfaces/jetstream-options.interface.js';
import { resolveIdempotency } from './idempotency-key.js';
import { MemoryIdempotencyStore } from './memory-idempotency.store.js';
import type { IdempotencyStore } from '../interfaces/idempotency-store.interface.js';

const store = new MemoryIdempotencyStore();

function binding(subject: string, idempotent: unknown, over: Partial<HandlerBinding> = {}): HandlerBinding {
  return {
    subject,
    stream: 'ORDERS',
    durable: `svc__${subject.replace(/\./g, '_')}`,
    maxDeliver: 5,
    ackWaitMs: 30_000,
    handlerTimeoutMs: 300_000,
    backoffMs: [1000, 5000, 30_000],
    idempotency: resolveIdempotency(`@JetStreamEvent('${subject}')`, idempotent, store),
    ...over,
  } as HandlerBinding;
}

describe('idempotency options, checked at construction', () => {
  const check = (idempotency: unknown) => () => validateOptions({ idempotency } as JetStreamOptions, 'JetStreamServer');

  it('takes a store with seen and record, and durations', () => {
    expect(check(undefined)).not.toThrow();
    expect(check({ store, pruneInterval: '1h', retain: '2d' })).not.toThrow();
  });

  it.each([
    [null, /JetStreamServer: idempotency must be an object; got null/],
    [{}, /idempotency.store must have seen\(\) and record\(\)/],
    [{ store, retian: '1d' }, /unknown option "idempotency.retian" \(did you mean "idempotency.retain"\?\)/],
    [{ store, pruneInterval: '0s' }, /pruneInterval must be more than 0/],
    [{ store, pruneInterval: 'often' }, /idempotency.pruneInterval must be milliseconds or a string/],
    [{ store, retain: 0 }, /retain must be more than 0/],
    [{ store: { seen: () => false, record: () => true }, pruneInterval: '1h' }, /the store has no prune\(olderThan\)/],
  ])('refuses %p, naming the field', (value, message) => {
    expect(check(value)).toThrow(message);
  });
});

describe('checkIdempotentBindings', () => {
  it('refuses two idempotent handlers that would share their keys, and says how to fix it', () => {
    const both = [binding('orders.*', true), binding('orders.created', { key: 'msgId' })];
    expect(() => checkIdempotentBindings(both, { store })).toThrow(
      /@JetStreamEvent\('orders.\*'\) and @JetStreamEvent\('orders.created'\) are both idempotent on stream ORDERS.*Give one of them its own key/,
    );
  });

  it('lets handlers with their own keys, other subjects or other streams be', () => {
    const ok = [
      binding('orders.created', true),
      binding('orders.paid', true),
      binding('orders.created', { key: () => 'x' }, { durable: 'emails' }),
      binding('orders.created', true, { stream: 'MIRROR' }),
      binding('orders.created', undefined, { durable: 'plain' }),
    ];
    expect(() => checkIdempotentBindings(ok, { store })).not.toThrow();
  });

  it('refuses a retain shorter than the longest redelivery, when pruning', () => {
    const b = binding('orders.created', true);
    expect(redeliverySpanMs(b)).toBe(5 * (300_000 + 30_000));
    expect(() => checkIdempotentBindings([b], { store, pruneInterval: '1h', retain: '10m' })).toThrow(
      /idempotency.retain \(600000 ms\) is shorter than the longest redelivery of @JetStreamEvent\('orders.created'\).*= 1650000 ms/,
    );
    expect(() => checkIdempotentBindings([b], { store, pruneInterval: '1h' })).not.toThrow();
    expect(() => checkIdempotentBindings([b], { store, retain: '10m' })).not.toThrow();
  });
});

describe('startIdempotency', () => {
  const logs: string[] = [];
  const logger: LoggerService = {
    log: () => undefined,
    error: () => undefined,
    warn: (m: string) => logs.push(`warn ${m}`),
    debug: (m: string) => logs.push(`debug ${m}`),
  };
  beforeEach(() => {
    logs.length = 0;
    jest.useFakeTimers();
  });
  afterEach(() => jest.useRealTimers());

  it('initialises the store, and prunes nothing without pruneInterval', async () => {
    const init = jest.fn();
    expect(await startIdempotency({ store: { ...store, seen: () => false, record: () => true, init } }, [], logger)).toBeUndefined();
    expect(init).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('prunes every interval with retain, logs a failure and goes on, and stops when told', async () => {
    let now = 0;
    const memory = new MemoryIdempotencyStore({ now: () => now });
    let fail = true;
    const flaky: IdempotencyStore = {
      seen: (k) => memory.seen(k),
      record: (k) => memory.record(k),
      prune: (olderThan) => {
        if (fail) throw new Error('database is down');
        return memory.prune(olderThan);
      },
    };
    memory.record('old');
    now = 3_600_000;
    memory.record('new');
    const stop = (await startIdempotency({ store: flaky, pruneInterval: '10s', retain: '30m' }, [], logger))!;
    await jest.advanceTimersByTimeAsync(10_000);
    expect(logs).toEqual([expect.stringMatching(/^warn Could not prune idempotency keys older than 30m: Error: database is down/)]);
    fail = false;
    await jest.advanceTimersByTimeAsync(10_000);
    expect([memory.seen('old'), memory.seen('new')]).toEqual([false, true]);
    expect(logs[1]).toBe('debug Pruned 1 idempotency key(s) older than 30m.');
    stop();
    expect(jest.getTimerCount()).toBe(0);
  });
});
