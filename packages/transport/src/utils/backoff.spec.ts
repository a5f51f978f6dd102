import { abortableDelay, backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles the wait from firstMs up to maxMs', () => {
    const policy = { firstMs: 1000, maxMs: 8000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(policy, n))).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('waits firstMs before any failure is counted', () => {
    expect(backoffDelay({ firstMs: 250, maxMs: 1000 }, 0)).toBe(250);
  });
});

describe('abortableDelay', () => {
  it('resolves after the wait', async () => {
    const started = Date.now();
    await abortableDelay(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('ends a wait at once when aborted', async () => {
    const abort = new AbortController();
    const waiting = abortableDelay(60_000, abort.signal);
    abort.abort();
    await expect(waiting).resolves.toBeUndefined();
  });

  it('does not wait at all when already aborted', async () => {
    const abort = new AbortController();
    abort.abort();
    await expect(abortableDelay(60_000, abort.signal)).resolves.toBeUndefined();
  });
});
