/**
 * How many messages a consumer may have pulled and not yet started (queued locally, or requested
 * and on their way): the prefetch window. It adapts to the handlers: it doubles while they keep up
 * (a quarter of a window finished since the last pull), and it never exceeds what they finish in
 * `budgetMs` at their measured rate, so a process killed at any moment strands about that much
 * work beyond what it runs (until ackWait), never more than `cap`. The rate is the handlers'
 * capacity, not the arrival rate: a span in which nothing waited for a handler (idle, or fed
 * slower than they work) only ever raises it, so a quiet minute leaves the window as it was. Pure
 * logic: the caller passes the clock and its counts.
 */
export interface PrefetchWindowOptions {
  /** Hard cap: an explicit `prefetch`, else what `maxAckPending` leaves beside the running handlers. */
  readonly cap: number;
  /** The first pull (before anything was measured). */
  readonly initial: number;
  /** The work, in handler time at the measured rate, the window may hold. */
  readonly budgetMs: number;
}

/**
 * A pull goes out once what is waiting and requested fell to this share of the window, as the
 * raw client's default `threshold_messages`: a quarter of the window per pull.
 */
export const REFILL_AT = 0.75;

/** Completions are measured over spans of at least this long (shorter ones are noise). */
export const RATE_SAMPLE_MS = 100;

export class PrefetchWindow {
  /** The window now: what may be queued plus requested. */
  size: number;
  /**
   * Completions per millisecond while the handlers had work waiting (their capacity), smoothed;
   * NaN until such a span was measured (then only the cap applies).
   */
  private rate = NaN;
  private spanStart: number;
  private spanCompleted = 0;
  /** Completions when the last pull was sent. */
  private completedAtPull = 0;

  constructor(
    private readonly options: PrefetchWindowOptions,
    now: number,
  ) {
    this.size = Math.max(1, Math.min(options.initial, options.cap));
    this.spanStart = now;
  }

  /** The window the measured rate allows: `budgetMs` of work, at least 1, at most the cap. */
  get timeCap(): number {
    const { cap, budgetMs } = this.options;
    if (Number.isNaN(this.rate)) return cap;
    return Math.min(cap, Math.max(1, Math.ceil(this.rate * budgetMs)));
  }

  /**
   * The client wants to pull. `waiting` is what was received and not started, `pending` what was
   * requested and not received, `completed` how many messages the handlers finished so far (a
   * running total); `now` is read only when a pull may go out. Returns the batch to ask for now, or 0 to send nothing (the caller asks again
   * when a message arrives or a handler starts one).
   */
  refill(waiting: number, pending: number, completed: number, now: () => number): number {
    const inWindow = waiting + pending;
    if (!this.hasRoom(inWindow)) return 0;
    this.measure(completed, now(), waiting > 0);
    const keptUp = (completed - this.completedAtPull) * 4 >= this.size;
    const limit = this.timeCap;
    this.size = Math.max(1, Math.min(keptUp ? this.size * 2 : this.size, limit));
    const batch = this.size - inWindow;
    if (batch < 1) return 0;
    this.completedAtPull = completed;
    return batch;
  }

  /**
   * Whether a pull may go out with `inWindow` messages waiting or requested: once a quarter of the
   * window is free (a pull per message would cost a request each). Most offers (the client makes
   * one per message) stop here, so the caller asks it before counting what `refill` needs.
   */
  hasRoom(inWindow: number): boolean {
    return inWindow <= this.size * REFILL_AT;
  }

  /**
   * `saturated`: messages wait for a handler now, so what the span finished is what the handlers
   * can do. Otherwise it is only a lower bound (they were idle or starved part of it): it may raise
   * the estimate, never lower it.
   */
  private measure(completed: number, now: number, saturated: boolean): void {
    const span = now - this.spanStart;
    if (span < RATE_SAMPLE_MS) return;
    const rate = (completed - this.spanCompleted) / span;
    if (saturated || rate > this.rate) this.rate = Number.isNaN(this.rate) ? rate : (this.rate + rate) / 2;
    this.spanStart = now;
    this.spanCompleted = completed;
  }
}
