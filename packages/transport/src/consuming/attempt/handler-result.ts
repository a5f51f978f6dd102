import { isObservable, lastValueFrom } from 'rxjs';

/**
 * What a handler returned, waited for: a Promise (or any thenable) is awaited, then an Observable
 * (returned directly or resolved by the Promise) is drained to its end. The one copy of this rule
 * (every runner, the processing hooks).
 *
 * `done(failed, error)` is called once it is over, with what the handler's Promise or Observable
 * failed with: at once (no microtask) for a plain value, so a synchronous handler settles without
 * waiting; else inside the one async frame that waited, so the path through Nest's pipeline (a
 * Promise of an Observable) costs one frame per message, not one per step.
 */
export function afterResult<T>(result: unknown, done: (failed: boolean, error: unknown) => T | Promise<T>): T | Promise<T> {
  if (typeof (result as PromiseLike<unknown> | null)?.then === 'function' || isObservable(result)) return drainThen(result, done);
  return done(false, undefined);
}

/** `afterResult` for a caller that only waits: undefined for a plain value, else a Promise that rejects with the handler's failure. */
export function waitForResult(result: unknown): Promise<void> | undefined {
  if (typeof (result as PromiseLike<unknown> | null)?.then === 'function' || isObservable(result)) return drainThen(result, rethrow);
  return undefined;
}

async function drainThen<T>(result: unknown, done: (failed: boolean, error: unknown) => T | Promise<T>): Promise<T> {
  try {
    const value: unknown = isObservable(result) ? result : await (result as PromiseLike<unknown>);
    if (isObservable(value)) await lastValueFrom(value, { defaultValue: undefined });
  } catch (err) {
    return done(true, err);
  }
  return done(false, undefined);
}

function rethrow(failed: boolean, error: unknown): void {
  if (failed) throw error;
}
