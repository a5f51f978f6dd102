import { CONNECT_SERVER_LINE } from '../constants.js';

/**
 * What a `JetStreamServer` learns of its app through `JetStreamModule` (Nest's public registry of
 * the app's microservice servers, and the handlers' metadata); none without the module.
 */
export interface AppView {
  /** Whether a JetStream server of the app has started listening. */
  jetStreamListening(): boolean;
  /** The app's other microservice servers (not JetStream ones), by class name. */
  otherServers(): string[];
  /** The plain `@EventPattern` handlers of the app (bound to no transport), as `Class.method`. */
  plainEventHandlers(): { handler: string; pattern: unknown }[];
}

/** Readiness before `listen()`: the server was never started, and what to add (or which instance runs instead). */
export function notStartedMessage(app: AppView | undefined): string {
  if (app?.jetStreamListening()) {
    return `This JetStreamServer (JetStreamModule's) never started: the app runs another JetStreamServer instance (one made with new JetStreamServer() as its strategy). Read that instance's health, or run the module's: ${CONNECT_SERVER_LINE}, or NestFactory.createMicroservice(AppModule, { inject: [JetStreamServer], useFactory: (server: JetStreamServer) => ({ strategy: server }) }).`;
  }
  return `JetStreamServer has not started listening: it was never connected to the app, so its handlers never run. Add ${CONNECT_SERVER_LINE} in main.ts (or pass it as the strategy of NestFactory.createMicroservice).`;
}
