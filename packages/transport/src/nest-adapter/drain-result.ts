import { isObservable, of, type Observable, type Observer } from 'rxjs';
import { isThenable } from '../utils/thenable.js';

type Fail = (data: unknown, ctx: object, error: unknown) => unknown;

/**
 * The last value of a drained Observable, as the consumer would read it from
 * `lastValueFrom(observable)` (handler-result.ts): a thenable last value is awaited (a Promise's
 * resolution adopts it), an Observable last value is not subscribed (wrapped, so nobody drains it).
 */
function lastValueOf(value: unknown): unknown {
  if (isObservable(value)) return of(value);
  if (isThenable(value)) return Promise.resolve(value).then((v: unknown) => (isObservable(v) ? of(v) : v));
  return value;
}

/** One drain's subscriber: remembers the last value; once subscribing returned, settles the Promise the caller holds. */
class Drain implements Observer<unknown> {
  last: unknown = undefined;
  ended = false;
  failed = false;
  caught: unknown = undefined;
  resolve?: (value: unknown) => void;
  reject?: (error: unknown) => void;

  constructor(
    private readonly data: unknown,
    private readonly ctx: object,
    private readonly fail: Fail,
  ) {}

  next(value: unknown): void {
    this.last = value;
  }

  complete(): void {
    this.ended = true;
    this.resolve?.(lastValueOf(this.last));
  }

  error(error: unknown): void {
    this.ended = true;
    this.failed = true;
    this.caught = error;
    if (!this.resolve) return;
    // A filter that throws rejects the drain (it must not reach rxjs, which would report it as unhandled).
    try {
      this.resolve(this.fail(this.data, this.ctx, error));
    } catch (err) {
      this.reject?.(err);
    }
  }
}

/**
 * Drains what a handler (or the interceptors around it) returned as an Observable, the way Nest's
 * RPC proxy and our consumer would with `pipe(catchError(filters))` and `lastValueFrom`, without
 * them: subscribes once with a plain subscriber. An Observable that ends while being subscribed (a
 * synchronous handler behind synchronous interceptors) gives its last value at once, with no
 * Promise and no microtask; one that ends later gives a Promise of it. An error goes through the
 * exception filters (`fail`), whose answer (an Observable, usually an erroring one) is returned.
 */
export function drainResult(source: Observable<unknown>, data: unknown, ctx: object, fail: Fail): unknown {
  const drain = new Drain(data, ctx, fail);
  source.subscribe(drain);
  if (drain.ended) return drain.failed ? fail(data, ctx, drain.caught) : lastValueOf(drain.last);
  return new Promise<unknown>((resolve, reject) => {
    drain.resolve = resolve;
    drain.reject = reject;
  });
}
