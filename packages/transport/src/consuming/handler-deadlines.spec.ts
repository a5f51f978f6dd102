import { HandlerDeadlines, type TimedRun } from './handler-deadlines.js';

interface Run extends TimedRun {
  id: string;
}

/** A runner's view: its runs, and when each was expired (fake clock, ms). */
function harness(timeoutMs: number) {
  const runs = new Set<Run>();
  const expired: { id: string; at: number }[] = [];
  const deadlines = new HandlerDeadlines<Run>(
    timeoutMs,
    () => runs,
    (run) => {
      runs.delete(run);
      expired.push({ id: run.id, at: performance.now() });
    },
  );
  const start = (id: string): Run => {
    const run: Run = { id, startedAt: -1 };
    runs.add(run);
    deadlines.started(run);
    return run;
  };
  return { runs, expired, deadlines, start };
}

describe('HandlerDeadlines (handlerTimeout timing, fake timers)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('expires a run at its timeout, not at a later sweep', () => {
    const { expired, start } = harness(1000);
    const t0 = performance.now();
    start('a');
    jest.advanceTimersByTime(997);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(3);
    expect(expired.map((e) => e.id)).toEqual(['a']);
    expect(expired[0].at - t0).toBeGreaterThanOrEqual(998);
    expect(expired[0].at - t0).toBeLessThanOrEqual(1000);
  });

  it('expires each run at its own deadline, re-arming for the next one', () => {
    const { expired, start } = harness(2000);
    const t0 = performance.now();
    start('a');
    jest.advanceTimersByTime(500);
    start('b');
    jest.advanceTimersByTime(700);
    start('c');
    jest.advanceTimersByTime(5000);
    expect(expired.map((e) => [e.id, Math.round(e.at - t0)])).toEqual([
      ['a', 2000],
      ['b', 2500],
      ['c', 3200],
    ]);
  });

  it('does not expire a run that finished, nor one still queued', () => {
    const { runs, expired, start } = harness(1000);
    const a = start('a');
    runs.add({ id: 'queued', startedAt: -1 });
    jest.advanceTimersByTime(400);
    runs.delete(a);
    start('b');
    jest.advanceTimersByTime(5000);
    expect(expired.map((e) => e.id)).toEqual(['b']);
    expect(runs.size).toBe(1);
  });

  it('starts no timer while nothing runs, and stop() cancels the armed one', () => {
    const { expired, deadlines, start } = harness(1000);
    expect(jest.getTimerCount()).toBe(0);
    start('a');
    expect(jest.getTimerCount()).toBe(1);
    start('b');
    expect(jest.getTimerCount()).toBe(1);
    deadlines.stop();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(5000);
    expect(expired).toEqual([]);
  });

  it('arms for a run started while expiring another (a queued handler taking the freed slot)', () => {
    const runs = new Set<Run>();
    const expired: string[] = [];
    let next: Run | undefined = { id: 'queued', startedAt: -1 };
    const deadlines: HandlerDeadlines<Run> = new HandlerDeadlines<Run>(
      1000,
      () => runs,
      (run) => {
        runs.delete(run);
        expired.push(run.id);
        if (next) {
          runs.add(next);
          deadlines.started(next);
          next = undefined;
        }
      },
    );
    const first: Run = { id: 'first', startedAt: -1 };
    runs.add(first);
    deadlines.started(first);
    jest.advanceTimersByTime(1000);
    expect(expired).toEqual(['first']);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(1000);
    expect(expired).toEqual(['first', 'queued']);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('HandlerDeadlines with a timeout past what setTimeout takes (2^31-1 ms)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("fires a '30d' timeout at 30 days, waking at most a few times on the way (no 1 ms busy loop)", () => {
    const thirtyDays = 30 * 24 * 3600 * 1000;
    const firings = { count: 0 };
    const runs = new Set<Run>();
    const expired: { id: string; at: number }[] = [];
    const deadlines = new HandlerDeadlines<Run>(
      thirtyDays,
      () => {
        firings.count++;
        return runs;
      },
      (run) => {
        runs.delete(run);
        expired.push({ id: run.id, at: performance.now() });
      },
    );
    const t0 = performance.now();
    const run: Run = { id: 'long', startedAt: -1 };
    runs.add(run);
    deadlines.started(run);
    // An hour in, nothing has fired (Node would have fired a too-long delay after 1 ms, every ms).
    jest.advanceTimersByTime(3600 * 1000);
    expect(firings.count).toBe(0);
    jest.advanceTimersByTime(thirtyDays - 3600 * 1000 - 10);
    expect(expired).toEqual([]);
    expect(firings.count).toBeLessThanOrEqual(2);
    jest.advanceTimersByTime(10);
    expect(expired.map((e) => e.id)).toEqual(['long']);
    expect(expired[0].at - t0).toBeGreaterThanOrEqual(thirtyDays - 2);
    expect(firings.count).toBeLessThanOrEqual(3);
    expect(jest.getTimerCount()).toBe(0);
  });
});
