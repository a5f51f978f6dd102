import { retryWithBackoff } from './start-retry.js';

const policy = { firstMs: 1000, maxMs: 8000 };

describe('retryWithBackoff', () => {
  it('tries again after each failure, with growing waits, until an attempt succeeds', async () => {
    const waits: number[] = [];
    const failures: [string, number][] = [];
    let calls = 0;
    const done = await retryWithBackoff(
      async () => {
        calls++;
        if (calls < 4) throw new Error(`failure ${calls}`);
      },
      {
        policy,
        signal: new AbortController().signal,
        ready: () => true,
        failed: (err, next) => failures.push([(err as Error).message, next]),
        wait: async (ms) => void waits.push(ms),
      },
    );
    expect(done).toBe(true);
    expect(calls).toBe(4);
    expect(waits).toEqual([1000, 2000, 4000]);
    expect(failures).toEqual([
      ['failure 1', 1000],
      ['failure 2', 2000],
      ['failure 3', 4000],
    ]);
  });

  it('does not attempt while not ready, and stops when aborted', async () => {
    const abort = new AbortController();
    const waits: number[] = [];
    let ready = false;
    let calls = 0;
    const done = await retryWithBackoff(
      async () => {
        calls++;
        throw new Error('still failing');
      },
      {
        policy,
        signal: abort.signal,
        ready: () => ready,
        failed: () => undefined,
        wait: async (ms) => {
          waits.push(ms);
          if (waits.length === 2) ready = true;
          if (waits.length === 5) abort.abort();
        },
      },
    );
    expect(done).toBe(false);
    expect(calls).toBe(3);
    expect(waits).toEqual([1000, 2000, 4000, 8000, 8000]);
  });
});
