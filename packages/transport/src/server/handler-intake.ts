import type { MessageHandler } from '@nestjs/microservices';
import { JETSTREAM_EXTRAS_KEY, JETSTREAM_METHOD_KEY } from '../constants.js';
import type { UnresolvedBinding } from '../bindings/handler-binding.js';
import type { JetStreamEventOptions } from '../interfaces/jetstream-event-options.interface.js';
import type { JetStreamServerOptions } from '../interfaces/jetstream-options.interface.js';
import { registrationOf } from '../nest-adapter/nest-internals.js';
import { planDirectCall, type DirectCallPlan } from './direct-call.js';
import { bindingOf } from './server-facts.js';
import { withHandlerSchema } from '../schemas/payload-validation.js';
import { cronJobOf } from '../cron/cron-binding.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { cronOnNamedConnection } from './connection-groups.constants.js';

/** A handler Nest offered the server (`Server.addHandler`), its pattern already normalised to a subject. */
export interface OfferedHandler {
  subject: string;
  callback: MessageHandler;
  isEventHandler: boolean;
  extras: Record<string, unknown>;
}

/**
 * What the server does with a handler Nest offers: a JetStream binding (with how it is called:
 * directly or through Nest's pipeline, and why), or undefined for a handler it does not take
 * (a plain `@EventPattern` without `bindPlainEventPatterns`, or a request handler).
 * `server` is the server being registered (nest-adapter/nest-internals.ts knows its controller).
 */
export function bindingForHandler(server: object, offered: OfferedHandler, options: JetStreamServerOptions): UnresolvedBinding | undefined {
  const { subject, callback, isEventHandler, extras } = offered;
  const own = extras[JETSTREAM_EXTRAS_KEY] as JetStreamEventOptions | undefined;
  const plainEvent = isEventHandler && options.bindPlainEventPatterns === true;
  if (!own && !plainEvent) return undefined;
  const binding = bindingOf(subject, own, extras, callback, options);
  const cron = cronJobOf(binding, extras);
  if (cron) binding.cron = cron;
  if (cron && binding.connection) throw new JetStreamConfigError(cronOnNamedConnection(subject, binding.connection));
  const plan: DirectCallPlan =
    options.directCalls === false
      ? { reason: 'directCalls: false' }
      : !own
        ? { reason: 'plain @EventPattern' }
        : planDirectCall(registrationOf(server), extras[JETSTREAM_METHOD_KEY] as string | symbol | undefined);
  if ('call' in plan) {
    binding.invocation = 'direct';
    binding.direct = plan.call;
    if (plan.enhancers) binding.enhancers = plan.enhancers;
  } else {
    binding.pipelineReason = plan.reason;
  }
  return withHandlerSchema(binding, own, extras);
}
