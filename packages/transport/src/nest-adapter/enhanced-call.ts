import { AsyncResource } from 'node:async_hooks';
import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { from, isObservable, lastValueFrom, mergeAll, Observable, type Subscriber, type TeardownLogic } from 'rxjs';
import { drainResult } from './drain-result.js';
import { isThenable } from '../utils/thenable.js';
import { FORBIDDEN_MESSAGE, notePipeRejection } from './nest-internals.js';
import type { RpcEnhancers, RpcHandlerView } from './nest-views.js';

/*
 * A handler with guards, interceptors or pipes, run by the library with the enhancer instances
 * Nest resolved for it (nest-internals.ts reads them from Nest's own context creators, with the
 * calls and arguments RpcContextCreator.create makes), in Nest's order and with Nest's rules:
 * guards (a `false` throws Nest's RpcException "Forbidden resource"), then interceptors around the
 * call, the pipes and the method inside the innermost `next.handle()`, every error through the
 * handler's exception filters. What it leaves out is Nest's per-call wrapping: the async frames
 * of each step, an `AsyncResource.bind` per interceptor (NestJS 11), `defer`/`mergeAll` around a
 * synchronous interceptor, `catchError` and `lastValueFrom` around the interceptors' Observable
 * (drained by one plain subscriber, drain-result.ts). A step that answers synchronously (a boolean
 * guard, a synchronous pipe, a synchronous handler behind interceptors whose Observable ends at
 * once) costs no microtask: the call returns the value itself. What stays per `next.handle()` is an
 * `AsyncResource`, as Nest makes: the rest runs in the async context `next.handle()` was called in,
 * which nothing public can compare with the caller's (an `als.run(store, () => next.handle())`
 * leaves the async id unchanged); and one around the interceptors, as Nest calls `intercept` in an
 * async continuation (a store entered there stays the message's). The behaviour tests (enhanced-call.spec.ts, and
 * server/direct-call.integration.spec.ts) run each case both ways, here and through Nest's
 * pipeline (`directCalls: false`).
 */

/**
 * Nest's RPC proxy: an error (thrown, rejected, or an erroring Observable) goes through the method's
 * exception handler. `settled` drains an Observable result itself (drain-result.ts): its last value,
 * synchronously when it ended synchronously, no rxjs operators or Promise around it.
 */
export function exceptionRoute(view: RpcHandlerView): {
  fail: (data: unknown, ctx: object, error: unknown) => unknown;
  settled: (data: unknown, ctx: object, value: unknown) => unknown;
} {
  const fail = (data: unknown, ctx: object, error: unknown): unknown => view.handleError(data, ctx, error);
  const settled = (data: unknown, ctx: object, value: unknown): unknown => (isObservable(value) ? drainResult(value, data, ctx, fail) : value);
  return { fail, settled };
}

/** A guard's non-boolean answer, as Nest's GuardsConsumer reads it: awaited, an Observable's last value. */
async function pick(result: unknown): Promise<boolean> {
  const value: unknown = await result;
  return Boolean(isObservable(value) ? await lastValueFrom(value) : value);
}

/**
 * What the handler returned, emitted to `subscriber` as Nest's innermost `next.handle()` emits it (a
 * Promise resolved, an Observable flattened); a plain value at once, with no Observable made for it.
 */
function emitResult(subscriber: Subscriber<unknown>, result: unknown): TeardownLogic {
  if (isObservable(result)) return result.subscribe(subscriber);
  if (!isThenable(result)) {
    subscriber.next(result);
    subscriber.complete();
    return undefined;
  }
  let inner: { unsubscribe(): void } | undefined;
  Promise.resolve(result).then(
    (value: unknown) => {
      // As Nest: an Observable the Promise gave is subscribed only while someone still listens.
      if (subscriber.closed) return;
      if (isObservable(value)) inner = value.subscribe(subscriber);
      else {
        subscriber.next(value);
        subscriber.complete();
      }
    },
    (error: unknown) => subscriber.error(error),
  );
  return () => inner?.unsubscribe();
}

const INTERCEPT_SCOPE = 'nest-jetstream.intercept';

/** Builds the call of a handler whose enhancers Nest resolved (`view.enhancers`). */
export function enhancedCall(view: RpcHandlerView, enhancers: RpcEnhancers): (data: unknown, ctx: object) => unknown {
  const { instance, method, params, argsLength } = view;
  const { guards, interceptors, paramPipes, createContext } = enhancers;
  const { fail, settled } = exceptionRoute(view);

  /** The parameters, through their pipes: the arguments, or a Promise of them when a value or a pipe answered asynchronously. */
  const argsFor = (data: unknown, ctx: object): unknown[] | Promise<unknown[]> => {
    const callArgs = new Array<unknown>(argsLength).fill(null);
    let pending: Promise<unknown>[] | undefined;
    for (let i = 0; i < params.length; i++) {
      const { index, extractValue } = params[i];
      const { pipes, metadata } = paramPipes[i];
      let value = extractValue(data, ctx);
      let p = 0;
      try {
        if (!isThenable(value)) for (; p < pipes.length && !isThenable(value); p++) value = pipes[p].transform(value, metadata);
      } catch (err) {
        notePipeRejection(err);
        throw err;
      }
      if (!isThenable(value)) {
        callArgs[index] = value;
        continue;
      }
      // From the first asynchronous answer on, as Nest's PipesConsumer does (each parameter in parallel).
      const rest = pipes.slice(p);
      (pending ??= []).push(
        rest
          .reduce<Promise<unknown>>(async (acc, pipe) => pipe.transform(await acc, metadata), Promise.resolve(value))
          .then(
            (v) => (callArgs[index] = v),
            (err: unknown) => {
              if (pipes.length) notePipeRejection(err);
              throw err;
            },
          ),
      );
    }
    return pending ? Promise.all(pending).then(() => callArgs) : callArgs;
  };

  /** Pipes, then the method: what it returned (a Promise when the pipes were asynchronous). */
  const invoke = (data: unknown, ctx: object): unknown => {
    const args = argsFor(data, ctx);
    if (Array.isArray(args)) return method.apply(instance, args);
    return args.then((a) => method.apply(instance, a));
  };

  /** Subscribes `subscriber` to the interceptors from `i` on around the call (the call itself when `i` is past the last). */
  const rest = (subscriber: Subscriber<unknown>, context: ExecutionContext, data: unknown, ctx: object, i: number): TeardownLogic => {
    if (i === interceptors.length) {
      let result: unknown;
      try {
        result = invoke(data, ctx);
      } catch (err) {
        subscriber.error(err);
        return undefined;
      }
      return emitResult(subscriber, result);
    }
    return chain(context, data, ctx, i).subscribe(subscriber);
  };

  /** Interceptor `i` around the rest, each `next.handle()` running the rest in the async context it was called in. */
  const chain = (context: ExecutionContext, data: unknown, ctx: object, i: number): Observable<unknown> => {
    const next: CallHandler = {
      handle: () => {
        // As Nest does: the rest runs, once subscribed, in the context of this call (an AsyncLocalStorage store an interceptor entered).
        const scope = new AsyncResource('nest-jetstream.next');
        return new Observable((subscriber) => scope.runInAsyncScope(rest, undefined, subscriber, context, data, ctx, i + 1));
      },
    };
    const intercepted: unknown = interceptors[i].intercept(context, next);
    return isObservable(intercepted) ? intercepted : from(Promise.resolve(intercepted) as Promise<Observable<unknown>>).pipe(mergeAll());
  };

  /** The interceptors around the call, their Observable drained: its last value (or a Promise of it), every error through the filters. */
  const intercepted = (context: ExecutionContext, data: unknown, ctx: object): unknown => {
    let source: Observable<unknown>;
    try {
      source = chain(context, data, ctx, 0);
    } catch (error) {
      return fail(data, ctx, error);
    }
    return drainResult(source, data, ctx, fail);
  };

  /** After the guards: the interceptors and the call, or the call alone; what it gave, every error through the filters. */
  const proceed = (context: ExecutionContext | undefined, data: unknown, ctx: object): unknown => {
    // In a scope of its own, as Nest runs `intercept` in an async continuation: a store an interceptor
    // enters with `enterWith` is the handler's, and does not stay on the consumer's context for the next message.
    if (context && interceptors.length) return new AsyncResource(INTERCEPT_SCOPE).runInAsyncScope(intercepted, undefined, context, data, ctx);
    let result: unknown;
    try {
      result = invoke(data, ctx);
    } catch (error) {
      return fail(data, ctx, error);
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (value: unknown) => settled(data, ctx, value),
        (error: unknown) => fail(data, ctx, error),
      );
    }
    return settled(data, ctx, result);
  };

  /** The guards from `at` on, the first one's answer `first` not a boolean: rejects with what Nest throws when one refuses. */
  const guarded = async (at: number, first: unknown, context: ExecutionContext): Promise<void> => {
    if (!(await pick(first))) throw new RpcException(FORBIDDEN_MESSAGE);
    for (let g = at + 1; g < guards.length; g++) {
      const r = guards[g].canActivate(context);
      if (typeof r === 'boolean' ? !r : !(await pick(r))) throw new RpcException(FORBIDDEN_MESSAGE);
    }
  };

  return (data, ctx) => {
    let context: ExecutionContext | undefined;
    let pending: Promise<void> | undefined;
    try {
      context = guards.length || interceptors.length ? createContext([data, ctx]) : undefined;
      for (let g = 0; g < guards.length && !pending; g++) {
        const r = (guards[g].canActivate as (c: ExecutionContext) => unknown)(context as ExecutionContext);
        if (r === false) throw new RpcException(FORBIDDEN_MESSAGE);
        if (r !== true) pending = guarded(g, r, context as ExecutionContext);
      }
    } catch (error) {
      return fail(data, ctx, error);
    }
    if (!pending) return proceed(context, data, ctx);
    return pending.then(
      () => proceed(context, data, ctx),
      (error: unknown) => fail(data, ctx, error),
    );
  };
}
