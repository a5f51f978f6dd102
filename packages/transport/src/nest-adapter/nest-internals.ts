import type { ArgumentMetadata, ArgumentsHost, CanActivate, ExecutionContext, NestInterceptor, PipeTransform } from '@nestjs/common';
import { BaseRpcExceptionFilter } from '@nestjs/microservices';
import { DEFAULT_CALLBACK_METADATA } from '@nestjs/microservices/context/rpc-metadata-constants.js';
import { ListenersController } from '@nestjs/microservices/listeners-controller.js';

/** What a guard's refusal throws (as an RpcException), Nest's own text. */
export { FORBIDDEN_MESSAGE } from '@nestjs/core/guards/constants.js';
import { throwError, type Observable } from 'rxjs';
import { isJetStreamContext } from '../ctx-host/jetstream-context.brand.js';
import type { NestAdapterLease, Registration, RpcEnhancers, RpcHandlerView, RpcParam } from './nest-views.js';

export type { NestAdapterLease, Registration, RpcEnhancers, RpcHandlerView, RpcParam } from './nest-views.js';

/*
 * THE one place the library relies on Nest members that Nest's public types do not declare, or
 * wraps a Nest method. Nothing else in the library may import a Nest deep path for behaviour
 * (handler-discovery.ts reads Nest's metadata, see there). Each access is pinned by
 * nest-internals.spec.ts, which fails on the first Nest version that changes it (run on Nest 12
 * and, with NEST_COMPAT=11, on Nest 11). What each wrap touches:
 *
 * - `apply` of the PipesConsumer instance that Nest's RPC context creator of the JetStream
 *   server's microservice owns (reached through the registration below; an own property of that
 *   one instance, never the prototype): HTTP and the app's other microservices have their own
 *   instance and never go through it. It only remembers which exception a pipe threw: no public
 *   hook tells a pipe's rejection (the message is invalid: poison) from the handler's own 400/422
 *   (retried).
 * - `BaseRpcExceptionFilter.catch` (Nest's fallback RPC filter, which HTTP never uses): for
 *   JetStream contexts only, it passes the original exception through instead of logging it and
 *   replacing it by "Internal server error"; the app's own filters still run first and win. A
 *   global filter of ours could not do this without catching HTTP exceptions too and without
 *   shadowing the app's global filters.
 * - `ListenersController.registerPatternHandlers`: passes through for every server but a
 *   JetStream one, on which it notes the controller being registered and Nest's RPC context
 *   creator (for direct calls: Nest's own answer to "would a guard, interceptor, pipe run?") and
 *   the app's container (to read every @MessagePattern of the app, those bound to Transport.NATS
 *   included, with or without JetStreamModule).
 *
 * Patched only while a JetStream server needs it, put back when the last one closes: the
 * registration hook from the server's constructor until its `listen()` (Nest registers handlers
 * in between), the fallback filter from `listen()` until `close()`. An app without a live
 * JetStream server runs Nest untouched. Each copy of Nest loaded (CommonJS and ES modules)
 * is patched through its own prototype.
 */

type Method = (this: never, ...args: never[]) => unknown;

/** One method of a Nest class replaced while at least one JetStream server needs it (two: the fallback RPC filter, the registration). */
export class PrototypePatch<F extends Method> {
  private users = 0;
  private original?: F;
  private wrapped?: F;

  constructor(
    private readonly proto: () => object,
    private readonly key: string,
    private readonly wrap: (original: F) => F,
  ) {}

  /** Patches on the first user; returns this user's release (safe to call more than once). */
  acquire(): () => void {
    const proto = this.proto() as Record<string, unknown>;
    if (this.users === 0) {
      const current = proto[this.key];
      if (typeof current !== 'function') return () => undefined;
      this.original = current as F;
      this.wrapped = this.wrap(this.original);
      proto[this.key] = this.wrapped;
    }
    this.users++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.users > 0) return;
      // Put back only what is still ours: a later patch by someone else stays in place.
      if (proto[this.key] === this.wrapped) proto[this.key] = this.original;
      this.original = undefined;
      this.wrapped = undefined;
    };
  }

  /** Whether the method is patched now. */
  get active(): boolean {
    return this.users > 0;
  }
}

// --- pipe rejections (the pipes of the JetStream server's own microservice only) ---

/** Exceptions a Nest pipe threw on a JetStream server's handler parameter: the only 400/422 errors that make a message poison. */
const rejections = new WeakSet<object>();

type ApplyFn = (this: unknown, ...args: unknown[]) => Promise<unknown>;

/** The RPC context creator's PipesConsumer instances wrapped, with their own `apply` before (undefined: none of its own). */
const wrappedConsumers = new WeakMap<object, { users: number; wrapped: ApplyFn; own?: unknown }>();

/**
 * Wraps `apply` on the one PipesConsumer instance that Nest's RPC context creator of this
 * microservice owns (an own property, not the prototype): HTTP, and any other microservice of the
 * app, have their own instance and never go through it. Returns its release.
 */
function capturePipeRejections(consumer: unknown): (() => void) | undefined {
  if (typeof consumer !== 'object' || consumer === null) return undefined;
  const target = consumer as { apply?: unknown };
  const known = wrappedConsumers.get(consumer);
  if (known) {
    known.users++;
  } else {
    const original = target.apply;
    if (typeof original !== 'function') return undefined;
    const own = Object.prototype.hasOwnProperty.call(consumer, 'apply') ? original : undefined;
    const wrapped: ApplyFn = function (this: unknown, ...args: unknown[]) {
      return (original as ApplyFn).apply(this, args).catch((err: unknown) => {
        notePipeRejection(err);
        throw err;
      });
    };
    target.apply = wrapped;
    wrappedConsumers.set(consumer, { users: 1, wrapped, own });
  }
  let released = false;
  return () => {
    const entry = wrappedConsumers.get(consumer);
    if (released || !entry) return;
    released = true;
    if (--entry.users > 0) return;
    wrappedConsumers.delete(consumer);
    // Put back only what is still ours.
    if (target.apply !== entry.wrapped) return;
    if (entry.own === undefined) delete target.apply;
    else target.apply = entry.own;
  };
}

/** Notes that a Nest pipe threw `error` (the library runs the handler's pipes itself: enhanced-call.ts). */
export function notePipeRejection(error: unknown): void {
  if (typeof error === 'object' && error !== null) rejections.add(error);
}

/** Whether a Nest pipe threw `error` on a JetStream server's handler parameter. */
export function isPipeRejection(error: unknown): boolean {
  return typeof error === 'object' && error !== null && rejections.has(error);
}

// --- the handler's original error (JetStream contexts only) ---

type CatchFn = (this: BaseRpcExceptionFilter, exception: unknown, host: ArgumentsHost) => Observable<unknown>;

export const handlerErrorCapture = new PrototypePatch<CatchFn>(
  () => BaseRpcExceptionFilter.prototype,
  'catch',
  (original) =>
    function (this: BaseRpcExceptionFilter, exception: unknown, host: ArgumentsHost) {
      const ctx: unknown = host.getArgByIndex(1);
      if (isJetStreamContext(ctx)) {
        ctx.handlerError = exception;
        return throwError(() => exception);
      }
      return original.call(this, exception, host);
    },
);

// --- registration of a controller's handlers on a JetStream server ---

/** The JetStream servers that hold the adapter, and what the hook noted for each. */
const servers = new WeakMap<object, { registering?: Registration; container?: unknown; releasePipes?: () => void }>();

type RegisterFn = (this: unknown, wrapper: unknown, server: unknown, moduleKey: unknown, ...rest: unknown[]) => unknown;

export const registrationHook = new PrototypePatch<RegisterFn>(
  () => ListenersController.prototype,
  'registerPatternHandlers',
  (original) =>
    function (this: unknown, wrapper: unknown, server: unknown, moduleKey: unknown, ...rest: unknown[]) {
      const noted = typeof server === 'object' && server !== null ? servers.get(server) : undefined;
      if (!noted || typeof moduleKey !== 'string') return original.call(this, wrapper, server, moduleKey, ...rest);
      const listeners = this as { container?: unknown; contextCreator?: { pipesConsumer?: unknown } } | null;
      noted.container ??= listeners?.container;
      noted.releasePipes ??= capturePipeRejections(listeners?.contextCreator?.pipesConsumer);
      noted.registering = { listeners: this, wrapper, moduleKey };
      try {
        return original.call(this, wrapper, server, moduleKey, ...rest);
      } finally {
        noted.registering = undefined;
      }
    },
);

/** What Nest is registering on `server` now (from inside its `addHandler`); undefined otherwise. */
export function registrationOf(server: object): Registration | undefined {
  return servers.get(server)?.registering;
}

/** The Nest container the handlers of `server` were registered from; undefined before Nest registered them. */
export function appContainerOf(server: object): unknown {
  return servers.get(server)?.container;
}

// --- Nest's view of one handler, read from the RPC context creator being registered (direct calls) ---

type Fn = (...args: unknown[]) => unknown;

interface RpcCreatorShape {
  guardsConsumer?: { createContext?: (args: unknown[], instance: object, callback: Fn) => { setType?: (type: string) => void } };
  pipesConsumer?: { paramsTokenFactory?: { exchangeEnumForString?: (type: unknown) => ArgumentMetadata['type'] } };
  contextUtils?: { mergeParamsMetatypes?: (params: unknown[], paramtypes: unknown) => { metatype?: ArgumentMetadata['metatype'] }[] };
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

/** A Nest version this reader does not know: the handler stays on Nest's pipeline. */
export const UNKNOWN_NEST = 'this Nest version is not one direct calls know';

/**
 * Nest's view of the method `methodKey` of the controller being registered, or why there is none
 * (a string). It makes the calls Nest's own RpcContextCreator.create makes for this handler, with
 * the same arguments, and no others.
 */
export function rpcHandlerView(registration: Registration | undefined, methodKey: string | symbol | undefined): RpcHandlerView | string {
  if (!registration || methodKey === undefined) return 'not registered by Nest with its handler method';
  const creator = creatorOf(registration.listeners);
  const wrapper = registration.wrapper as { instance?: Record<PropertyKey, unknown>; isDependencyTreeStatic?: () => boolean } | null;
  if (!creator || !wrapper || !isFn(wrapper.isDependencyTreeStatic)) return UNKNOWN_NEST;
  if (!wrapper.isDependencyTreeStatic()) return 'request-scoped controller';
  const instance = wrapper.instance;
  const method = instance?.[methodKey];
  if (!instance || !isFn(method)) return 'handler method not found';
  const { moduleKey } = registration;

  const enhancing: string[] = [];
  // Anything but an array (another Nest's shape) counts as something to run: the pipeline stays.
  const count = (v: unknown) => (Array.isArray(v) ? v.length : 1);
  const guards: unknown = creator.guardsContextCreator.create(instance, method, moduleKey);
  if (count(guards) > 0) enhancing.push('guards');
  const interceptors: unknown = creator.interceptorsContextCreator.create(instance, method, moduleKey);
  if (count(interceptors) > 0) enhancing.push('interceptors');
  const pipes: unknown = creator.pipesContextCreator.create(instance, method, moduleKey);
  const meta = creator.getMetadata(instance, methodKey, DEFAULT_CALLBACK_METADATA, 'rpc') as {
    argsLength?: unknown;
    paramtypes?: unknown;
    getParamsMetadata?: (
      moduleKey: string,
    ) => ({ index?: unknown; extractValue?: unknown; pipes?: unknown[]; type?: unknown; data?: unknown } | undefined)[] | undefined;
  };
  const params = meta?.getParamsMetadata?.(moduleKey) ?? [];
  if (count(pipes) > 0 || params.some((p) => count(p?.pipes ?? []) > 0)) enhancing.push('pipes');
  if ((creator.applicationConfig?.getGlobalPreRequestHooks?.() ?? []).length > 0) enhancing.push('pre-request hooks');
  const argsLength = meta?.argsLength;
  if (typeof argsLength !== 'number' || !params.every((p) => typeof p?.index === 'number' && isFn(p.extractValue))) return UNKNOWN_NEST;
  const exceptions = creator.exceptionFiltersContext.create(instance, method, moduleKey);
  const proxy = creator.rpcProxy;
  // What RpcContextCreator.create hands its guards, interceptors and pipes consumers, read from the same calls.
  const createContext = creator.guardsConsumer?.createContext?.bind(creator.guardsConsumer);
  const token = creator.pipesConsumer?.paramsTokenFactory?.exchangeEnumForString?.bind(creator.pipesConsumer?.paramsTokenFactory);
  const typed = creator.contextUtils?.mergeParamsMetatypes?.(params, meta.paramtypes);
  const known = [guards, interceptors, pipes, ...params.map((p) => p?.pipes)].every(Array.isArray) && createContext && token && typed?.length === params.length;
  const enhancers: RpcEnhancers | undefined = known
    ? {
        guards: guards as CanActivate[],
        interceptors: interceptors as NestInterceptor[],
        paramPipes: params.map((p, i) => ({
          pipes: (pipes as PipeTransform[]).concat((p?.pipes ?? []) as PipeTransform[]),
          metadata: { type: token(p?.type), metatype: typed[i]?.metatype, data: p?.data as string | undefined },
        })),
        createContext: (args) => {
          const context = createContext(args, instance, method);
          context.setType?.('rpc');
          return context as unknown as ExecutionContext;
        },
      }
    : undefined;
  return {
    instance,
    method,
    enhancing,
    argsLength,
    params: params as RpcParam[],
    handleError: (data, ctx, error) => proxy.handleError(exceptions, [data, ctx], error),
    enhancers,
  };
}

/**
 * Wraps what this file wraps in Nest for the JetStream server `server` (see above). Made in the
 * server's constructor, the only call into the server before Nest registers its handlers, so only
 * the registration hook is taken here; a server built and never listened to holds nothing else.
 */
export function attachNestAdapter(server: object): NestAdapterLease {
  const noted: { releasePipes?: () => void } = {};
  servers.set(server, noted);
  // Only until Nest has registered the handlers, which it does before it calls listen().
  const registered = registrationHook.acquire();
  let releaseCatch: (() => void) | undefined;
  let released = false;
  return {
    listening: () => {
      registered();
      if (!released) releaseCatch ??= handlerErrorCapture.acquire();
    },
    release: () => {
      released = true;
      registered();
      releaseCatch?.();
      noted.releasePipes?.();
    },
  };
}
