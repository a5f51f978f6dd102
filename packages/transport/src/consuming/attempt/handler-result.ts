import { isObservable, lastValueFrom } from 'rxjs';
import { isThenable } from '../../utils/thenable.js';

/** Whether what a handler returned is still to be waited for: a Promise (or any thenable), or an Observable. */
export function isPending(result: unknown): boolean {
  return isThenable(result) || isObservable(result);
}

/**
 * A pending handler result (`isPending`), waited for: a Promise (or any thenable) is awaited, then
 * an Observable (returned directly or resolved by the Promise) is drained to its end. The one
 * copy of this rule (every runner, the processing hooks); a plain value needs no waiting, and its
 * caller goes on at once (no microtask, no closure).
 *
 * `done(failed, error)` is called once it is over, with what the handler's Promise or Observable
 * failed with, inside the one async frame that waited, so the path through Nest's pipeline (a
 * Promise of an Observable) costs one frame per message, not one per step.
 */
export async function afterResult<T>(result: unknown, done: (failed: boolean, error: unknown) => T | Promise<T>): Promise<T> {
  try {
    const value: unknown = isObservable(result) ? result : await (result as PromiseLike<unknown>);
    if (isObservable(value)) await lastValueFrom(value, { defaultValue: undefined });
  } catch (err) {
    return done(true, err);
  }
  return done(false, undefined);
}

/** For a caller that only waits: undefined for a plain value, else a Promise that rejects with the handler's failure. */
export function waitForResult(result: unknown): Promise<void> | undefined {
  return isPending(result) ? afterResult(result, rethrow) : undefined;
}

function rethrow(failed: boolean, error: unknown): void {
  if (failed) throw error;
}
