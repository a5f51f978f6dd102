import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JetStreamClient } from '../client/jetstream.client.js';
import type { JetStreamOptions } from '../interfaces/jetstream-options.interface.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import { JetStreamConsumers } from '../consumer-control/jetstream-consumers.js';
import { JETSTREAM_MODULE_OPTIONS, JETSTREAM_OPTIONS_TYPE, JetStreamConfigurableModule } from './jetstream-module-definition.js';
import { connectionClientProvider, getJetStreamClientToken } from './jetstream-client.tokens.js';
import { JetStreamAppWatcher } from './jetstream-app.watcher.js';

/** What `JetStreamModule.forFeature()` returns: the client of one connection. */
@Module({})
export class JetStreamFeatureModule {}

/**
 * `JetStreamModule.forRoot(options)` / `forRootAsync({ imports, inject, useFactory })`, with
 * `isGlobal` to provide everywhere. Provides `JetStreamClient` and `JetStreamServer`; a hybrid app
 * does `app.connectMicroservice({ strategy: app.get(JetStreamServer) })`. It also watches the app
 * (see `JetStreamAppWatcher`): a plain `@EventPattern` no server takes is refused at `listen()`,
 * and `@JetStreamEvent` handlers with no JetStream server started are warned about.
 * `forRoot` also provides a client per declared connection (`@InjectJetStreamClient('eu')`).
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    JetStreamAppWatcher,
    { provide: JetStreamClient, useFactory: (o: JetStreamOptions) => new JetStreamClient(o), inject: [JETSTREAM_MODULE_OPTIONS] },
    { provide: JetStreamServer, useFactory: (o: JetStreamOptions) => new JetStreamServer(o), inject: [JETSTREAM_MODULE_OPTIONS] },
    { provide: JetStreamConsumers, useFactory: (s: JetStreamServer) => s.consumers, inject: [JetStreamServer] },
  ],
  exports: [JetStreamClient, JetStreamServer, JetStreamConsumers],
})
export class JetStreamModule extends JetStreamConfigurableModule implements OnApplicationShutdown {
  constructor(
    @Inject(JetStreamClient) private readonly client: JetStreamClient,
    @Inject(JetStreamServer) private readonly server: JetStreamServer,
  ) {
    super();
  }

  /** `forRoot(options)`, providing (and exporting) the client of each connection in `options.connections`. */
  static override forRoot(options: typeof JETSTREAM_OPTIONS_TYPE): DynamicModule {
    const root = super.forRoot(options);
    const names = Object.keys(options.connections ?? {});
    return {
      ...root,
      providers: [...(root.providers ?? []), ...names.map(connectionClientProvider)],
      exports: [...(root.exports ?? []), ...names.map((n) => getJetStreamClientToken(n))],
    };
  }

  /**
   * Provides the client of connection `connection` (`@InjectJetStreamClient(connection)`) where
   * the connections are not known statically (`forRootAsync`). Needs the root module global
   * (`isGlobal: true`) so its `JetStreamClient` can be injected here.
   */
  static forFeature({ connection }: { connection: string }): DynamicModule {
    return { module: JetStreamFeatureModule, providers: [connectionClientProvider(connection)], exports: [getJetStreamClientToken(connection)] };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
    // Closed by Nest already when it was a strategy; closing it again only releases what a
    // server that never listened still holds (its patches of Nest's classes).
    await this.server.close();
  }
}

/** Injects the module's `JetStreamOptions`. */
export const InjectJetStreamOptions = (): ParameterDecorator => Inject(JETSTREAM_MODULE_OPTIONS);
