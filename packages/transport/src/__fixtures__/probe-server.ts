import { Server, type MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { JETSTREAM_METHOD_KEY } from '../constants.js';
import { createTestContext } from '../ctx-host/test-context.js';
import { registrationOf } from '../nest-adapter/nest-internals.js';
import { planDirectCall, type DirectCallPlan } from '../server/direct-call.js';

/**
 * A server Nest registers handlers on like any, given the Nest adapter as JetStreamServer is
 * (`attachNestAdapter(server)` before the app is made): it keeps, per pattern, Nest's pipeline
 * callback and the direct-call plan, so a spec can run one handler both ways without NATS.
 */
export class ProbeServer extends Server {
  override readonly propagatesEventHandlerErrors = true;
  readonly plans = new Map<string, DirectCallPlan>();
  readonly callbacks = new Map<string, MessageHandler>();
  /** The PipesConsumer of this microservice's RPC context creator, as the registration shows it. */
  pipesConsumer?: object;
  override addHandler(pattern: unknown, callback: MessageHandler, isEventHandler = false, extras: Record<string, unknown> = {}): void {
    const listeners = registrationOf(this)?.listeners as { contextCreator?: { pipesConsumer?: object } } | undefined;
    this.pipesConsumer ??= listeners?.contextCreator?.pipesConsumer;
    this.plans.set(String(pattern), planDirectCall(registrationOf(this), extras[JETSTREAM_METHOD_KEY] as string | undefined));
    this.callbacks.set(String(pattern), callback);
    super.addHandler(pattern, callback, isEventHandler, extras);
  }
  listen(callback: () => void): void {
    callback();
  }
  close(): void {}
  on(): never {
    throw new Error('not used');
  }
  unwrap<T>(): T {
    throw new Error('not used');
  }
}

/** What one call of a handler came to, as the consumer runner sees it. */
export interface ProbeOutcome {
  value?: unknown;
  error?: unknown;
  /** The exception before any filter reshaped it (what settling reads). */
  handlerError?: unknown;
}

/** Runs `pattern`'s handler once, through Nest's pipeline (`nest`) or the library's direct call (`direct`): what it returned or threw. */
export async function runProbe(server: ProbeServer, pattern: string, data: unknown, via: 'nest' | 'direct' = 'nest'): Promise<ProbeOutcome> {
  const { ctx } = createTestContext({ subject: pattern });
  const plan = server.plans.get(pattern);
  const handler = via === 'nest' ? server.callbacks.get(pattern) : plan && 'call' in plan ? plan.call : undefined;
  if (!handler) throw new Error(`no ${via} handler for ${pattern}`);
  try {
    const result: unknown = await handler(data, ctx);
    return { value: isObservable(result) ? await lastValueFrom(result, { defaultValue: undefined }) : result };
  } catch (error) {
    return { error, handlerError: ctx.handlerError };
  }
}
