import { StreamFactsCache } from './stream-facts-cache.js';
import type { StreamTimingFacts } from './timing-options.js';

const facts = (name: string, subjects: string[], allowMsgTtl = true): StreamTimingFacts => ({
  name,
  subjects,
  allowMsgTtl,
  allowMsgSchedules: false,
  retention: 'limits',
});

describe('StreamFactsCache', () => {
  it('matches a new subject against a cached stream locally, wildcards included', () => {
    const cache = new StreamFactsCache();
    const orders = facts('ORDERS', ['orders.*.created', 'orders.audit.>']);
    cache.remember('orders.1.created', orders);
    expect(cache.find('orders.2.created')).toBe(orders);
    expect(cache.find('orders.audit.x.y')).toBe(orders);
    expect(cache.find('orders.audit')).toBeUndefined();
    expect(cache.find('orders.1.shipped')).toBeUndefined();
    expect(cache.find('other')).toBeUndefined();
  });

  it('keeps one entry per stream however many subjects it was read for', () => {
    const cache = new StreamFactsCache();
    const s = facts('S', ['e.>']);
    for (let i = 0; i < 50_000; i++) {
      if (!cache.find(`e.${i}`)) cache.remember(`e.${i}`, s);
    }
    expect(cache.size).toBe(1);
  });

  it('forgets a stream: its subjects, memoised ones included, miss until it is read again', () => {
    const cache = new StreamFactsCache();
    cache.remember('a.1', facts('A', ['a.>']));
    expect(cache.find('a.1')?.name).toBe('A');
    cache.forget('A');
    expect(cache.find('a.1')).toBeUndefined();
    expect(cache.find('a.2')).toBeUndefined();
  });

  it('a stream read again replaces its old entry: new subjects match, removed ones do not', () => {
    const cache = new StreamFactsCache();
    cache.remember('a.1', facts('A', ['a.>']));
    cache.remember('b.1', facts('A', ['b.>']));
    expect(cache.size).toBe(1);
    expect(cache.find('a.1')).toBeUndefined();
    expect(cache.find('b.2')?.subjects).toEqual(['b.>']);
  });

  it('a subject that moved to another stream drops the stale stream that still claimed it', () => {
    const cache = new StreamFactsCache();
    cache.remember('moved.x', facts('OLD', ['moved.>', 'kept.>']));
    cache.remember('moved.x', facts('NEW', ['moved.>'], false));
    expect(cache.find('moved.x')?.name).toBe('NEW');
    expect(cache.find('kept.1')).toBeUndefined(); // OLD is read again when next needed
    expect(cache.size).toBe(1);
  });
});
