import { ListenersController } from '@nestjs/microservices/listeners-controller.js';
import { PrototypePatch } from './prototype-patch.js';

/** Set on a JetStream server while Nest registers one controller's handlers on it. */
export const REGISTRATION = Symbol.for('@nest-jetstream/transport:registration');

export interface Registration {
  /** Nest's ListenersController (it holds the RPC context creator). */
  readonly listeners: unknown;
  /** Nest's InstanceWrapper of the controller. */
  readonly wrapper: unknown;
  readonly moduleKey: string;
}

type RegisterFn = (this: unknown, wrapper: unknown, server: unknown, moduleKey: unknown, ...rest: unknown[]) => unknown;

/**
 * Wraps Nest's `ListenersController.registerPatternHandlers` while a JetStream server with direct
 * calls lives: when it registers a controller on such a server, it notes on the server which
 * controller and context creator are being registered. Every other registration passes through.
 */
export const registrationHook = new PrototypePatch<RegisterFn>(
  () => ListenersController.prototype,
  'registerPatternHandlers',
  (original) =>
    function (this: unknown, wrapper: unknown, server: unknown, moduleKey: unknown, ...rest: unknown[]) {
      const target = server as Record<PropertyKey, unknown> | null;
      if (typeof target !== 'object' || target === null || !(REGISTRATION in target) || typeof moduleKey !== 'string') {
        return original.call(this, wrapper, server, moduleKey, ...rest);
      }
      target[REGISTRATION] = { listeners: this, wrapper, moduleKey } satisfies Registration;
      try {
        return original.call(this, wrapper, server, moduleKey, ...rest);
      } finally {
        target[REGISTRATION] = undefined;
      }
    },
);
