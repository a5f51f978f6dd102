import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService, ModulesContainer } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import type { Subscription } from 'rxjs';
import { CONNECT_SERVER_LINE, DEFAULTS, JETSTREAM_TRANSPORT } from '../constants.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import type { AppView } from '../server/app-view.js';
import { appLinkOf } from '../server/app-link.js';
import { toMillis } from '../utils/duration.js';
import { discoverHandlers } from '../nest-adapter/handler-discovery.js';

/** What the never-connected check decided: a JetStream server listens, the app has no handlers, or it warned. */
export type WatchVerdict = 'listening' | 'no handlers' | 'warned';

/** A server that can take a plain `@EventPattern`: not a JetStream one, nor gRPC (which serves only its own methods). */
function takesPlainEvents(server: object): boolean {
  const id = (server as { transportId?: unknown }).transportId;
  return id !== JETSTREAM_TRANSPORT && id !== Transport.GRPC;
}

/**
 * `JetStreamModule`'s view of the app, through Nest's public API only: the microservice servers
 * the app creates (`ModulesContainer.getRpcTargetRegistry()`, which Nest feeds from every
 * `createMicroservice` and `connectMicroservice`) and its handlers' metadata (`DiscoveryService`).
 * It tells each JetStream server which other servers exist (so a plain `@EventPattern` no server
 * takes is refused), and warns when the app has `@JetStreamEvent` handlers but no JetStream server
 * started listening after bootstrap (the connecting line forgotten).
 */
@Injectable()
export class JetStreamAppWatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('JetStreamModule');
  private readonly servers: object[] = [];
  private readonly subscription: Subscription;
  private timer?: NodeJS.Timeout;
  private decide!: (verdict: WatchVerdict) => void;
  /** @internal What the never-connected check decided, once it has (at bootstrap, or after the grace). */
  readonly checked: Promise<WatchVerdict> = new Promise((resolve) => (this.decide = resolve));
  private readonly view: AppView = {
    jetStreamListening: () => this.started(),
    otherServers: () => this.servers.filter(takesPlainEvents).map((s) => s.constructor.name),
    plainEventHandlers: () =>
      discoverHandlers(this.discovery)
        .filter((h) => h.isEventHandler && h.transport === undefined)
        .map(({ handler, pattern }) => ({ handler, pattern })),
  };

  constructor(
    @Inject(ModulesContainer) modules: ModulesContainer,
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(JetStreamServer) server: JetStreamServer,
  ) {
    // The module's own server, connected or not: its readiness says what is missing.
    appLinkOf(server)?.useApp(this.view);
    // A replay subject: the servers created before this provider are given too.
    this.subscription = modules.getRpcTargetRegistry<object>().subscribe((target) => {
      this.servers.push(target);
      appLinkOf(target)?.useApp(this.view);
    });
  }

  onApplicationBootstrap(): void {
    // A standalone microservice bootstraps just before its server's listen(): wait a moment,
    // which also covers a hybrid app that connects its microservices after app.listen().
    if (this.started()) return this.decide('listening');
    if (!this.hasJetStreamHandlers()) return this.decide('no handlers');
    this.timer = setTimeout(() => this.warnIfNotStarted(), toMillis(DEFAULTS.serverStartGrace, 'serverStartGrace'));
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearTimeout(this.timer);
    this.subscription.unsubscribe();
  }

  private started(): boolean {
    return this.servers.some((s) => appLinkOf(s)?.listenStarted() === true);
  }

  private hasJetStreamHandlers(): boolean {
    return discoverHandlers(this.discovery).some((h) => h.transport === JETSTREAM_TRANSPORT);
  }

  private warnIfNotStarted(): void {
    this.timer = undefined;
    if (this.started()) return this.decide('listening');
    this.decide('warned');
    const handlers = [
      ...new Set(
        discoverHandlers(this.discovery)
          .filter((h) => h.transport === JETSTREAM_TRANSPORT)
          .map((h) => h.handler),
      ),
    ];
    const connected = this.servers.some((s) => appLinkOf(s) !== undefined);
    this.logger.warn(
      `The app has ${handlers.length} @JetStreamEvent handler(s) (${handlers.join(', ')}) but no JetStreamServer has started listening ${DEFAULTS.serverStartGrace} after the app bootstrapped${connected ? ' (one is connected to the app, never started)' : ''}: messages are stored in their streams and never handled. Add ${CONNECT_SERVER_LINE} in main.ts (or pass a JetStreamServer as the strategy of NestFactory.createMicroservice). Readiness of the module's JetStreamServer (server.health) says the same.`,
    );
  }
}
