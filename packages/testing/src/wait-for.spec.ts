import { waitFor } from './wait-for.js';

describe('waitFor', () => {
  it('returns the first truthy value of the condition', async () => {
    let calls = 0;
    await expect(waitFor('the third call', () => (++calls === 3 ? 'done' : undefined), { interval: 1 })).resolves.toBe('done');
    expect(calls).toBe(3);
  });

  it('times out naming what never happened, with the last error as cause', async () => {
    const err = await waitFor(
      'something',
      () => {
        throw new Error('not yet');
      },
      { timeout: 30, interval: 5 },
    ).catch((e: unknown) => e as Error);
    expect(err.message).toBe('Timed out after 30 ms waiting for: something');
    expect((err.cause as Error).message).toBe('not yet');
  });

  it('stops polling once its signal is aborted, rejecting with the reason', async () => {
    const stop = new AbortController();
    let calls = 0;
    const waiting = waitFor(
      'never',
      () => {
        calls++;
        return false;
      },
      { timeout: 60_000, interval: 5, signal: stop.signal },
    );
    await waitFor('a few polls', () => calls >= 2, { interval: 1 });
    stop.abort(new Error('given up'));
    await expect(waiting).rejects.toThrow('given up');
    const after = calls;
    await new Promise((r) => setTimeout(r, 30));
    expect(calls).toBe(after);
  });
});
