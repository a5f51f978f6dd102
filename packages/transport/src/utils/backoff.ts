/**
 * How the waits between attempts grow: `firstMs` after the first failure, times `factor` (2 when
 * not given) after each further one, never over `maxMs`; with `jitter` (a fraction, 0 to 1) each
 * wait is drawn at random between `(1 - jitter)` times its value and its value.
 */
export interface BackoffPolicy {
  readonly firstMs: number;
  readonly maxMs: number;
  readonly factor?: number;
  readonly jitter?: number;
}

/** The wait before attempt `failures + 1`, after `failures` (1 or more) failed ones. */
export function backoffDelay(policy: BackoffPolicy, failures: number, random: () => number = Math.random): number {
  const grown = Math.min(policy.maxMs, policy.firstMs * (policy.factor ?? 2) ** Math.max(0, failures - 1));
  const jitter = policy.jitter ?? 0;
  return jitter > 0 ? Math.round(grown * (1 - jitter * random())) : grown;
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
