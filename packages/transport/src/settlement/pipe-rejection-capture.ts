import { PipesConsumer } from '@nestjs/core/pipes/pipes-consumer.js';

const INSTALLED = Symbol.for('@nest-jetstream/transport:pipe-rejection-capture');
/** Exceptions a Nest pipe threw (validation, parsing): the only 400/422 errors that make a message poison. */
const rejections = new WeakSet<object>();

type ApplyFn = (this: unknown, ...args: unknown[]) => Promise<unknown>;

/**
 * A 400/422 `HttpException` from a pipe means the message itself is invalid: no retry can fix it.
 * The same status thrown by the handler (say, from a downstream call) is an ordinary failure. To
 * tell them apart, Nest's pipes consumer notes what its pipes threw; nothing else changes.
 */
export function installPipeRejectionCapture(): void {
  const proto = PipesConsumer.prototype as unknown as { apply: ApplyFn; [INSTALLED]?: boolean };
  if (proto[INSTALLED] || typeof proto.apply !== 'function') return;
  const original = proto.apply;
  proto.apply = function (this: unknown, ...args: unknown[]) {
    return original.apply(this, args).catch((err: unknown) => {
      if (typeof err === 'object' && err !== null) rejections.add(err);
      throw err;
    });
  };
  proto[INSTALLED] = true;
}

/** Whether a Nest pipe threw `error`. */
export function isPipeRejection(error: unknown): boolean {
  return typeof error === 'object' && error !== null && rejections.has(error);
}
