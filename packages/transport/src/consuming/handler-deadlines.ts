/** A running handler as the deadline timer sees it: when it started (`performance.now()`), or -1 while queued. */
export interface TimedRun {
  startedAt: number;
}

/**
 * Node's timers run on the event loop's clock, cached per turn and kept in whole milliseconds: a
 * timer may fire up to a millisecond before `performance.now()` reaches its deadline.
 */
const TIMER_SLACK_MS = 2;

/**
 * The longest delay `setTimeout` takes (2^31-1 ms, about 24.8 days): above it Node fires after 1 ms
 * instead. A later deadline is reached by re-arming when this one fires.
 */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * `handlerTimeout` for one runner: a single timer, armed for the earliest deadline among the
 * handlers running. Starting a handler costs one clock read and one comparison; the timer fires
 * at most once per deadline and then looks at the running handlers once, so a timeout fires at
 * its value whatever the consumer's `ackWait`.
 */
export class HandlerDeadlines<T extends TimedRun> {
  private timer?: NodeJS.Timeout;
  private armedFor = Infinity;

  constructor(
    private readonly timeoutMs: number,
    /** The runs that may be running (queued ones have `startedAt` -1). */
    private readonly runs: () => Iterable<T>,
    /** Called for each run past its deadline; it stops being one of `runs()`. */
    private readonly expire: (run: T) => void,
  ) {}

  /** A handler starts now. */
  started(run: T): void {
    const now = performance.now();
    run.startedAt = now;
    const deadline = now + this.timeoutMs;
    if (deadline < this.armedFor) this.arm(deadline, now);
  }

  /** Stops the timer (the runner closed). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private arm(deadline: number, now: number): void {
    clearTimeout(this.timer);
    this.armedFor = deadline;
    this.timer = setTimeout(this.check, Math.min(MAX_TIMER_DELAY_MS, Math.max(0, Math.ceil(deadline - now))));
    this.timer.unref();
  }

  private readonly check = (): void => {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const run of this.runs()) {
      if (run.startedAt < 0) continue;
      const deadline = run.startedAt + this.timeoutMs;
      if (deadline <= now + TIMER_SLACK_MS) this.expire(run);
      else if (deadline < next) next = deadline;
    }
    // expire() may have started queued handlers, arming an earlier timer already.
    if (next < this.armedFor) this.arm(next, now);
  };
}
