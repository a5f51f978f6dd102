export interface WaitForOptions {
  /** Give up after this many milliseconds. Default 10000. */
  timeout?: number;
  /** Poll every this many milliseconds. Default 25. */
  interval?: number;
  /** Stops polling when aborted: the promise rejects with the signal's reason. Default none. */
  signal?: AbortSignal;
}

/**
 * Polls `condition` until it returns a truthy value (which is returned) or throws
 * after `timeout` with `description` saying what never happened. The last error the
 * condition threw, if any, is kept as the cause.
 */
export async function waitFor<T>(
  description: string,
  condition: () => T | Promise<T>,
  { timeout = 10_000, interval = 25, signal }: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  for (;;) {
    signal?.throwIfAborted();
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`Timed out after ${timeout} ms waiting for: ${description}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
