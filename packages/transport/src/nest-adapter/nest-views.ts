import type { ArgumentMetadata, CanActivate, ExecutionContext, NestInterceptor, PipeTransform } from '@nestjs/common';

// The shapes nest-internals.ts hands out (types only: what it reads from Nest, and how, stays there).

type Fn = (...args: unknown[]) => unknown;

/** What Nest is registering on a JetStream server, while it does. */
export interface Registration {
  /** Nest's ListenersController (it holds the RPC context creator). */
  readonly listeners: unknown;
  /** Nest's InstanceWrapper of the controller. */
  readonly wrapper: unknown;
  readonly moduleKey: string;
}

/** A parameter of the handler, as Nest's RPC context creator resolves it. */
export interface RpcParam {
  readonly index: number;
  readonly extractValue: (...args: unknown[]) => unknown;
}

/** What Nest's RpcContextCreator.create would build for one handler, asked with the same calls and arguments. */
export interface RpcHandlerView {
  readonly instance: object;
  readonly method: Fn;
  /** What would run around the method: 'guards', 'interceptors', 'pipes', 'pre-request hooks'; empty: nothing. */
  readonly enhancing: readonly string[];
  readonly argsLength: number;
  readonly params: readonly RpcParam[];
  /** Nest's exceptions handler of the method (app filters first), as RpcProxy calls it: `[payload, context]` are its arguments. */
  handleError(data: unknown, ctx: object, error: unknown): unknown;
  /** What Nest's pipeline would run around the method, for the library to run itself; undefined: not known for this Nest. */
  readonly enhancers?: RpcEnhancers;
}

/** The enhancer instances Nest resolved for one handler (global ones first), in the order its pipeline runs them. */
export interface RpcEnhancers {
  readonly guards: readonly CanActivate[];
  readonly interceptors: readonly NestInterceptor[];
  /** Per parameter: the pipes Nest applies to it (the method's, then the parameter's own) and the metadata they are given. */
  readonly paramPipes: readonly { readonly pipes: readonly PipeTransform[]; readonly metadata: ArgumentMetadata }[];
  /** Nest's own execution context for these arguments (type `rpc`), as its guards and interceptors consumers make it. */
  createContext(args: unknown[]): ExecutionContext;
}

/**
 * What a JetStream server holds while it lives: `listening()` (at `listen()`, once Nest has
 * registered the handlers) ends the registration hook and takes the fallback filter's wrap, which
 * only a running handler needs; `release()` puts Nest back (safe to call twice, with or without
 * `listening()`).
 */
export interface NestAdapterLease {
  listening(): void;
  release(): void;
}
