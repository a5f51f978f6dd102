import { isObservable, lastValueFrom } from 'rxjs';

/**
 * What a handler returned, waited for: a Promise (or any thenable) is awaited, then an Observable
 * (returned directly or resolved by the Promise) is drained to its end. Undefined for a plain
 * value, so a synchronous handler settles without waiting a microtask. Rejects with what the
 * handler's Promise or Observable failed with. The one copy of this rule (every runner, the
 * processing hooks).
 */
export function waitForResult(result: unknown): Promise<void> | undefined {
  if (typeof (result as PromiseLike<unknown> | null)?.then === 'function') return drainAfter(result as PromiseLike<unknown>);
  if (isObservable(result)) return lastValueFrom(result, { defaultValue: undefined }).then(noop);
  return undefined;
}

async function drainAfter(pending: PromiseLike<unknown>): Promise<void> {
  const value = await pending;
  if (isObservable(value)) await lastValueFrom(value, { defaultValue: undefined });
}

function noop(): void {}
