import { HeadQueue } from './head-queue.js';

describe('HeadQueue', () => {
  it('gives items back first in, first out, and counts what waits', () => {
    const q = new HeadQueue<number>();
    expect(q.shift()).toBeUndefined();
    q.push(1);
    q.push(2);
    q.push(3);
    expect(q.size).toBe(3);
    expect(q.shift()).toBe(1);
    expect(q.size).toBe(2);
    q.push(4);
    expect([q.shift(), q.shift(), q.shift()]).toEqual([2, 3, 4]);
    expect(q.size).toBe(0);
    expect(q.shift()).toBeUndefined();
  });

  it('keeps the order across compactions of a long queue read while it grows', () => {
    const q = new HeadQueue<number>();
    const out: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      q.push(i);
      q.push(i + 10_000);
      out.push(q.shift()!);
    }
    while (q.size > 0) out.push(q.shift()!);
    const sent = [...Array(10_000).keys()].flatMap((i) => [i, i + 10_000]);
    expect(out).toEqual(sent);
  });

  it('takeAll returns what waits, oldest first, and empties the queue', () => {
    const q = new HeadQueue<string>();
    q.push('a');
    q.push('b');
    q.push('c');
    q.shift();
    expect(q.takeAll()).toEqual(['b', 'c']);
    expect(q.size).toBe(0);
    q.push('d');
    expect(q.shift()).toBe('d');
  });
});
