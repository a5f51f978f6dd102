/** How the waits between attempts grow: `firstMs` after the first failure, doubled after each further one, never over `maxMs`. */
export interface BackoffPolicy {
  readonly firstMs: number;
  readonly maxMs: number;
}

/** The wait before attempt `failures + 1`, after `failures` (1 or more) failed ones. */
export function backoffDelay(policy: BackoffPolicy, failures: number): number {
  return Math.min(policy.maxMs, policy.firstMs * 2 ** Math.max(0, failures - 1));
}

/**
 * Resolves after `ms`; with `signal`, at once when it aborts, and then the timer does not hold the
 * process either (whoever owns the signal ends the wait on close). Without one it is a plain timer.
 */
export function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    if (signal) timer.unref();
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
