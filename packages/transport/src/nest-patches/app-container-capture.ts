import { MicroservicesModule } from '@nestjs/microservices/microservices-module.js';
import { PrototypePatch } from './prototype-patch.js';

/** Each microservice server Nest set up, and the container of the app it was set up from. */
const containers = new WeakMap<object, unknown>();

type SetupFn = (this: unknown, container: unknown, server: unknown, ...rest: unknown[]) => unknown;

/**
 * Wraps Nest's `MicroservicesModule.setupListeners(container, server)` while a JetStream server
 * lives, to note which app container each server is set up from: Nest hands a server only the
 * handlers of its own transport, and the request-subject check must see every `@MessagePattern`,
 * those bound to `Transport.NATS` included. Nest calls it once per server (createMicroservice and
 * connectMicroservice alike), before `listen()`.
 */
export const appContainerCapture = new PrototypePatch<SetupFn>(
  () => MicroservicesModule.prototype,
  'setupListeners',
  (original) =>
    function (this: unknown, container: unknown, server: unknown, ...rest: unknown[]) {
      if (typeof server === 'object' && server !== null) containers.set(server, container);
      return original.call(this, container, server, ...rest);
    },
);

/** The Nest container `server` was set up from, or undefined when Nest did not set it up (yet). */
export function appContainerOf(server: object): unknown {
  return containers.get(server);
}
