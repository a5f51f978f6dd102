import { PipesConsumer } from '@nestjs/core/pipes/pipes-consumer.js';

import { PrototypePatch } from './prototype-patch.js';

/** Exceptions a Nest pipe threw (validation, parsing): the only 400/422 errors that make a message poison. */
const rejections = new WeakSet<object>();

type ApplyFn = (this: unknown, ...args: unknown[]) => Promise<unknown>;

/**
 * A 400/422 `HttpException` from a pipe means the message itself is invalid: no retry can fix it.
 * The same status thrown by the handler (say, from a downstream call) is an ordinary failure. To
 * tell them apart, Nest's pipes consumer notes what its pipes threw; nothing else changes.
 */
export const pipeRejectionCapture = new PrototypePatch<ApplyFn>(
  () => PipesConsumer.prototype,
  'apply',
  (original) =>
    function (this: unknown, ...args: unknown[]) {
      return original.apply(this, args as never[]).catch((err: unknown) => {
        if (typeof err === 'object' && err !== null) rejections.add(err);
        throw err;
      });
    },
);

/** Whether a Nest pipe threw `error`. */
export function isPipeRejection(error: unknown): boolean {
  return typeof error === 'object' && error !== null && rejections.has(error);
}
