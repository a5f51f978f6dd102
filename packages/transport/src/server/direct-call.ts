import type { DirectCall } from '../bindings/handler-binding.js';
import { rpcHandlerView, type Registration } from '../nest-adapter/nest-internals.js';
import { enhancedCall, exceptionRoute } from '../nest-adapter/enhanced-call.js';
import { isThenable } from '../utils/thenable.js';

/**
 * Direct calls: for a handler Nest would run no guard, interceptor or pipe for, the server calls
 * the controller method itself instead of through Nest's RPC pipeline, which costs CPU
 * per message in async frames alone (measured in bench/RESULTS.md). Whether anything would run
 * is asked of Nest's own context creators, with the same arguments and at the same moment as
 * Nest builds the handler's pipeline, so the answer is Nest's. Exception filters still run:
 * an error goes through the same exceptions handler Nest would use.
 *
 * What Nest would run is read by nest-adapter/nest-internals.ts (the one file that reads Nest's
 * internals); any surprise there (another Nest version) leaves every handler on Nest's pipeline.
 */

/** What a handler is called through: `direct` (with the enhancers the library runs around it, if any), or Nest's `pipeline` and why. */
export type DirectCallPlan = { call: DirectCall; enhancers?: string } | { reason: string };

/**
 * Decides whether the method `methodKey` of the controller being registered can be called
 * directly, and builds the call, from Nest's own view of the handler (nest-adapter/nest-internals.ts).
 */
export function planDirectCall(registration: Registration | undefined, methodKey: string | symbol | undefined): DirectCallPlan {
  const view = rpcHandlerView(registration, methodKey);
  if (typeof view === 'string') return { reason: view };
  const reason = view.enhancing.join(', ');
  if (view.enhancing.length > 0) {
    // Guards, interceptors and pipes Nest resolved, run by the library (nest-adapter/enhanced-call.ts); pre-request hooks stay Nest's.
    if (!view.enhancers || view.enhancing.includes('pre-request hooks')) return { reason };
    return { call: enhancedCall(view, view.enhancers), enhancers: reason };
  }
  const { instance, method, params, argsLength } = view;
  const { fail, settled } = exceptionRoute(view);

  const call: DirectCall = (data, ctx) => {
    let result: unknown;
    try {
      if (params.length) {
        const callArgs = new Array<unknown>(argsLength);
        for (const p of params) callArgs[p.index] = p.extractValue(data, ctx);
        result = method.apply(instance, callArgs);
      } else {
        result = method.call(instance, data, ctx);
      }
    } catch (error) {
      return fail(data, ctx, error);
    }
    // Nest awaits whatever the method returned, so any thenable counts, not only native Promises.
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (value: unknown) => settled(data, ctx, value),
        (error: unknown) => fail(data, ctx, error),
      );
    }
    return settled(data, ctx, result);
  };
  return { call };
}
