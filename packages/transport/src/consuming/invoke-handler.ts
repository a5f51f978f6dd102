import { isObservable, lastValueFrom } from 'rxjs';
import type { HandlerBinding } from '../bindings/handler-binding.js';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';
import type { ConsumeObserver } from '../observability/instrumentation.interface.js';
import { runWithProcessingHooks, type ProcessingHooks } from './processing-hooks.js';

/**
 * Calls a handler once and waits for it (its Promise or Observable): directly or through Nest's
 * pipeline, inside the tracer's context and NestJS 12's processing hooks when they are set.
 * Rejects with what the handler threw. (The shared consumer's runner inlines this on its hot path.)
 */
export async function invokeHandler(binding: HandlerBinding, data: unknown, ctx: JetStreamContext, observer?: ConsumeObserver, hooks?: ProcessingHooks): Promise<void> {
  const invoke = () => (binding.direct ? binding.direct(data, ctx) : binding.handler(data, ctx));
  const traced = observer?.run ? () => observer.run!(ctx.observed, invoke) : invoke;
  if (hooks) return runWithProcessingHooks(hooks, ctx, traced);
  let result: unknown = traced();
  if (typeof (result as PromiseLike<unknown> | null)?.then === 'function') result = await result;
  if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
}
