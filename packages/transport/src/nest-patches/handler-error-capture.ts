import type { ArgumentsHost } from '@nestjs/common';
import { BaseRpcExceptionFilter } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';
import { isJetStreamContext } from '../ctx-host/jetstream-context.brand.js';
import { PrototypePatch } from './prototype-patch.js';

type CatchFn = (this: BaseRpcExceptionFilter, exception: unknown, host: ArgumentsHost) => Observable<unknown>;

/**
 * Nest's fallback RPC exception filter replaces an event handler's error with
 * `{ status: 'error', message: 'Internal server error' }` and logs it. The settle
 * decision needs the original (a failed validation pipe terms, a crash naks), so for
 * JetStream contexts only, the fallback records the exception and passes it through;
 * the consumer runner logs it with the subject, sequence and attempt. Filters of the
 * app's own still run first and win, as in any Nest transport.
 */
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
