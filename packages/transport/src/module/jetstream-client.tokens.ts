import { Inject, type Provider } from '@nestjs/common';
import { JetStreamClient } from '../client/jetstream.client.js';
import { DEFAULT_CONNECTION_NAME } from '../connections/connection-errors.js';

/**
 * The injection token of the client bound to connection `name` (a `JetStreamConnectionClient`);
 * `JetStreamClient` itself for `default`.
 */
export function getJetStreamClientToken(name: string = DEFAULT_CONNECTION_NAME): string | typeof JetStreamClient {
  return name === DEFAULT_CONNECTION_NAME ? JetStreamClient : `JetStreamConnectionClient:${name}`;
}

/**
 * Injects the client of connection `name` (`JetStreamModule.forRoot` provides one per declared
 * connection; `forFeature({ connection })` with `forRootAsync`). Without a name: `JetStreamClient`.
 */
export const InjectJetStreamClient = (name?: string): ParameterDecorator & PropertyDecorator => Inject(getJetStreamClientToken(name));

/** The provider of connection `name`'s client, made from the module's `JetStreamClient` (which checks the name). */
export function connectionClientProvider(name: string): Provider {
  return { provide: getJetStreamClientToken(name), useFactory: (client: JetStreamClient) => client.forConnection(name), inject: [JetStreamClient] };
}
