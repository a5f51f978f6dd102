import type { DirectCall } from '../bindings/handler-binding.js';
import type { Registration } from '../nest-adapter/nest-internals.js';
import { DEFAULT_CALLBACK_METADATA } from '@nestjs/microservices/context/rpc-metadata-constants.js';
import { catchError, isObservable, type Observable } from 'rxjs';

/**
 * Direct calls: for a handler Nest would run no guard, interceptor or pipe for, the server calls
 * the controller method itself instead of through Nest's RPC pipeline, which costs about
 * 3 µs of CPU per message in async frames alone (bench/RESULTS.md). Whether anything would run
 * is asked of Nest's own context creators, with the same arguments and at the same moment as
 * Nest builds the handler's pipeline, so the answer is Nest's. Exception filters still run:
 * an error goes through the same exceptions handler Nest would use.
 *
 * The hook: while Nest registers a controller's handlers on a JetStream server, it notes on the
 * server which controller and which Nest context creator are being registered. Nothing else
 * changes; any surprise in Nest's internals (another version) leaves every handler on Nest's
 * pipeline.
 */


type Fn = (...args: unknown[]) => unknown;

interface ParamOption {
  index: number;
  extractValue: (...args: unknown[]) => unknown;
  pipes?: unknown[];
}

interface RpcCreatorShape {
  guardsContextCreator: { create: Fn };
  interceptorsContextCreator: { create: Fn };
  pipesContextCreator: { create: Fn };
  exceptionFiltersContext: { create: Fn };
  rpcProxy: { handleError: Fn };
  applicationConfig?: { getGlobalPreRequestHooks?: () => unknown[] };
  getMetadata: Fn;
}

const isFn = (v: unknown): v is Fn => typeof v === 'function';
const hasCreate = (v: unknown): v is { create: Fn } => typeof v === 'object' && v !== null && isFn((v as { create?: unknown }).create);

function creatorOf(listeners: unknown): RpcCreatorShape | undefined {
  const c = (listeners as { contextCreator?: Partial<RpcCreatorShape> } | null)?.contextCreator;
  if (!c) return undefined;
  const ok =
    hasCreate(c.guardsContextCreator) &&
    hasCreate(c.interceptorsContextCreator) &&
    hasCreate(c.pipesContextCreator) &&
    hasCreate(c.exceptionFiltersContext) &&
    isFn(c.rpcProxy?.handleError) &&
    isFn(c.getMetadata);
  return ok ? (c as RpcCreatorShape) : undefined;
}

/** What a handler is called through: `direct`, or Nest's `pipeline` and why. */
export type DirectCallPlan = { call: DirectCall } | { reason: string };

/**
 * Decides whether the method `methodKey` of the controller being registered can be called
 * directly, and builds the call. It makes the calls Nest's own RpcContextCreator.create makes
 * for this handler, and no others.
 */
export function planDirectCall(registration: Registration | undefined, methodKey: string | symbol | undefined): DirectCallPlan {
  if (!registration || methodKey === undefined) return { reason: 'not registered by Nest with its handler method' };
  const creator = creatorOf(registration.listeners);
  const wrapper = registration.wrapper as { instance?: Record<PropertyKey, unknown>; isDependencyTreeStatic?: () => boolean } | null;
  if (!creator || !wrapper || !isFn(wrapper.isDependencyTreeStatic)) return { reason: 'this Nest version is not one direct calls know' };
  if (!wrapper.isDependencyTreeStatic()) return { reason: 'request-scoped controller' };
  const instance = wrapper.instance;
  const method = instance?.[methodKey];
  if (!instance || !isFn(method)) return { reason: 'handler method not found' };
  const { moduleKey } = registration;

  // The same calls, with the same arguments, that Nest's RpcContextCreator.create makes.
  const found: string[] = [];
  // Anything but an array (another Nest's shape) counts as something to run: the pipeline stays.
  const count = (v: unknown) => (Array.isArray(v) ? v.length : 1);
  if (count(creator.guardsContextCreator.create(instance, method, moduleKey)) > 0) found.push('guards');
  if (count(creator.interceptorsContextCreator.create(instance, method, moduleKey)) > 0) found.push('interceptors');
  const pipes = creator.pipesContextCreator.create(instance, method, moduleKey);
  const meta = creator.getMetadata(instance, methodKey, DEFAULT_CALLBACK_METADATA, 'rpc') as {
    argsLength?: number;
    getParamsMetadata?: (moduleKey: string) => ParamOption[] | undefined;
  };
  const params = meta?.getParamsMetadata?.(moduleKey) ?? [];
  if (count(pipes) > 0 || params.some((p) => count(p.pipes ?? []) > 0)) found.push('pipes');
  if ((creator.applicationConfig?.getGlobalPreRequestHooks?.() ?? []).length > 0) found.push('pre-request hooks');
  if (typeof meta?.argsLength !== 'number' || !params.every((p) => typeof p.index === 'number' && isFn(p.extractValue))) {
    return { reason: 'this Nest version is not one direct calls know' };
  }
  if (found.length) return { reason: found.join(', ') };

  const argsLength = meta.argsLength;
  const exceptions = creator.exceptionFiltersContext.create(instance, method, moduleKey);
  const proxy = creator.rpcProxy;
  // Nest's handler arguments ([payload, context]) are only built for the exception handler.
  const fail = (data: unknown, ctx: object, error: unknown): unknown => proxy.handleError(exceptions, [data, ctx], error);
  // As RpcProxy does: an Observable's error goes through the exception handler too.
  const settled = (data: unknown, ctx: object, value: unknown): unknown =>
    isObservable(value) ? (value as Observable<unknown>).pipe(catchError((error: unknown) => fail(data, ctx, error) as Observable<unknown>)) : value;

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
    if (typeof (result as PromiseLike<unknown> | null)?.then === 'function') {
      return Promise.resolve(result).then(
        (value: unknown) => settled(data, ctx, value),
        (error: unknown) => fail(data, ctx, error),
      );
    }
    return settled(data, ctx, result);
  };
  return { call };
}
