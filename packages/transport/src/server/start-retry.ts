import { abortableDelay, backoffDelay, type BackoffPolicy } from '../utils/backoff.js';

/** What `retryWithBackoff` needs besides the attempt. */
export interface RetryParts {
  readonly policy: BackoffPolicy;
  /** Aborted: no more attempts (the wait in progress ends at once). */
  readonly signal: AbortSignal;
  /** Whether an attempt can run now (its connection is up); when not, the next wait comes first. */
  readonly ready: () => boolean;
  /** Told of each failure and how long until the next attempt. */
  readonly failed: (err: unknown, retryInMs: number) => void;
  /** Waits between attempts; default `abortableDelay`. */
  readonly wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Runs `attempt` until it succeeds (true) or `signal` aborts (false): after each failure waits
 * the back-off, and tries again once `ready()`; a wait while not ready counts as a failure, so the
 * waits grow to `maxMs` and stay there.
 */
export async function retryWithBackoff(attempt: () => Promise<void>, parts: RetryParts): Promise<boolean> {
  const wait = parts.wait ?? abortableDelay;
  let failures = 0;
  while (!parts.signal.aborted) {
    if (parts.ready()) {
      try {
        await attempt();
        return true;
      } catch (err) {
        if (parts.signal.aborted) return false;
        failures++;
        parts.failed(err, backoffDelay(parts.policy, failures));
      }
    } else {
      failures++;
    }
    await wait(backoffDelay(parts.policy, failures), parts.signal);
  }
  return false;
}
