import { PrefetchWindow, RATE_SAMPLE_MS } from './prefetch-window.js';

/** A window on a hand-driven clock. */
function windowOf(cap: number, initial: number, budgetMs = 1000) {
  let t = 0;
  const w = new PrefetchWindow({ cap, initial, budgetMs }, t);
  return { w, advance: (ms: number) => (t += ms), now: () => t };
}

describe('PrefetchWindow (pure: grow, shrink, cap)', () => {
  it('starts at its initial size, within the cap', () => {
    expect(windowOf(90, 10).w.size).toBe(10);
    expect(windowOf(4, 10).w.size).toBe(4);
    expect(windowOf(90, 0).w.size).toBe(1);
  });

  it('doubles while the handlers finish a quarter of the window (or more) between pulls, up to the cap', () => {
    const { w, now } = windowOf(90, 10);
    let completed = 0;
    const sizes: number[] = [];
    for (let i = 0; i < 6; i++) {
      completed += w.size;
      expect(w.refill(0, 0, completed, now)).toBe(w.size);
      sizes.push(w.size);
    }
    expect(sizes).toEqual([20, 40, 80, 90, 90, 90]);
  });

  it('does not grow when the handlers finished less than a quarter of the window (they hang, or are slow)', () => {
    const { w, now } = windowOf(90, 10);
    expect(w.refill(0, 0, 2, now)).toBe(10);
    expect(w.size).toBe(10);
  });

  it('asks only for what fits: waiting and requested messages count in the window, and nothing until a quarter of it is free', () => {
    const { w, now } = windowOf(90, 12);
    expect(w.refill(10, 0, 0, now)).toBe(0);
    expect(w.refill(0, 10, 0, now)).toBe(0);
    expect(w.refill(4, 5, 0, now)).toBe(3);
  });

  it('shrinks to about budgetMs of work at the measured rate when handlers are slow (messages wait), never below 1', () => {
    const { w, advance, now } = windowOf(90, 80);
    // 5 completions per second while one message waited: a window of 1 s of work is 5 (1 waiting + 4).
    advance(1000);
    expect(w.refill(1, 0, 5, now)).toBe(4);
    expect(w.size).toBe(5);
    expect(w.timeCap).toBe(5);
    // Messages wait and nothing finished for a second (handlers hang): the window falls to 1 (the rate halves with each span, then rounds up).
    for (let i = 0; i < 12; i++) {
      advance(1000);
      w.refill(1, 0, 5, now);
    }
    expect(w.size).toBe(1);
  });

  it('keeps its estimate while idle (nothing waits): a quiet minute does not shrink the window, a faster span raises it', () => {
    const { w, advance, now } = windowOf(90, 80);
    advance(1000);
    w.refill(1, 0, 5, now);
    expect(w.timeCap).toBe(5);
    // A minute without messages: the client refills as its pulls expire, nothing waits, nothing finishes.
    for (let i = 0; i < 12; i++) {
      advance(5000);
      w.refill(0, 0, 5, now);
    }
    expect(w.timeCap).toBe(5);
    expect(w.size).toBe(5);
    // Then the handlers finish 20 in a second with nothing waiting: capacity is at least that, the estimate rises ((5 + 20) / 2 a second).
    advance(1000);
    w.refill(0, 0, 25, now);
    expect(w.timeCap).toBe(13);
  });

  it('has no estimate (only the cap applies) until a span in which messages waited', () => {
    const { w, advance, now } = windowOf(90, 10);
    // One message finished in a second, nothing waiting: the arrival rate, not what the handlers can do.
    advance(1000);
    w.refill(0, 0, 1, now);
    expect(w.timeCap).toBe(90);
  });

  it('grows again once the handlers speed up, within the time cap and the cap', () => {
    const { w, advance, now } = windowOf(500, 1, 1000);
    let completed = 0;
    for (let i = 0; i < 40; i++) {
      // The handlers finish each window within a span the rate sampler counts.
      advance(RATE_SAMPLE_MS);
      completed += w.size;
      w.refill(0, 0, completed, now);
    }
    expect(w.size).toBe(500);
    expect(w.timeCap).toBe(500);
  });

  it('keeps an explicit cap as a hard limit even when the measured rate would allow more', () => {
    const { w, advance, now } = windowOf(3, 1);
    let completed = 0;
    for (let i = 0; i < 20; i++) {
      advance(RATE_SAMPLE_MS);
      completed += 1000;
      const batch = w.refill(0, 0, completed, now);
      expect(batch).toBeLessThanOrEqual(3);
    }
    expect(w.size).toBe(3);
  });
});
