import type { BaseRpcContext } from '@nestjs/microservices';
import { waitForResult } from './attempt/handler-result.js';
import { isThenable } from '../utils/thenable.js';

/**
 * NestJS 12's processing hooks of a server (`setOnProcessingStartHook`, `setOnProcessingEndHook`):
 * a start hook that runs the handler inside `done` (so an AsyncLocalStorage it enters, for CLS or
 * tracing, is the handler's), and an end hook once the handler has finished.
 */
export interface ProcessingHooks {
  /** `ctx`: a message's `JetStreamContext`, or a batch handler's `JetStreamBatchContext`. */
  start(ctx: BaseRpcContext, done: () => Promise<void>): unknown;
  end(ctx: BaseRpcContext): void;
}

/** Runs `call` (and awaits its Promise or Observable) inside the start hook; the end hook runs once, after it, whatever happened. */
export function runWithProcessingHooks(hooks: ProcessingHooks, ctx: BaseRpcContext, call: () => unknown): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      hooks.end(ctx);
    };
    const done = async (): Promise<void> => {
      try {
        await waitForResult(call());
        resolve();
      } catch (err) {
        reject(err);
      } finally {
        end();
      }
    };
    try {
      const started = hooks.start(ctx, done);
      if (isThenable(started)) Promise.resolve(started).catch(reject);
    } catch (err) {
      reject(err);
    }
  });
}
