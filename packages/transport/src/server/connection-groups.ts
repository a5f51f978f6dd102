import { jetstream, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { LoggerService } from '@nestjs/common';
import type { HandlerBinding, UnresolvedBinding } from '../bindings/handler-binding.js';
import type { OpenConnection } from '../connection/open-connection.js';
import { DEFAULT_CONNECTION_NAME, UnknownConnectionError } from '../connections/connection-errors.js';
import { JetStreamConnections } from '../connections/connection-registry.js';
import { onDefaultConnection, streamsOn } from '../connections/streams-by-connection.js';
import type { NamedConnection, NamedConnectionDeps, NamedConnectionState } from '../connections/named-connection.js';
import { removeInstanceConsumers, type HandlerRunner } from '../consuming/runners.js';
import type { RunnerHost } from '../consuming/consumer-runner.js';
import type { JetStreamServerOptions } from '../interfaces/jetstream-options.interface.js';
import { JetStreamConnectionError } from '../errors/jetstream-transport.error.js';
import { Provisioner } from '../provisioning/provisioner.js';
import { resolvePublishDefaults } from '../publishing/publisher.js';
import type { Redactor } from '../security/redact.js';
import { versionAtLeast } from '../utils/server-version.js';
import { TERM_REASON_MIN_SERVER } from '../constants.js';
import { NAMED_GROUP_RETRY, namedGroupFailed, replayOnNamedConnection, streamOnUnknownConnection } from './connection-groups.constants.js';
import { provisionBindings } from './provision-bindings.js';
import type { BackoffPolicy } from '../utils/backoff.js';
import { retryWithBackoff } from './start-retry.js';
import { scanLeftBehind, type NamedConnectionFacts } from './server-facts.js';
import type { NatsConnection } from '@nats-io/nats-core';
import type { LeftBehindScan } from '../provisioning/left-behind-consumers.js';
import type { NamedHandlersHealth } from '../health/health-source.js';
import { startConsuming, type Consuming } from './runner-wiring.js';
import type { RecoveryEvent } from '../connection/leader-guard.js';
import { LeaderWatch } from '../consuming/leader-watch.js';

/** What `startConsuming` takes besides the connection's own parts (the server's, the same for every connection). */
export type GroupConsumingParts = Omit<
  Parameters<typeof startConsuming>[2],
  'js' | 'jsm' | 'options' | 'provisioner' | 'leaderGuard' | 'leaderWatch' | 'termReasonSupported'
>;

/** What a connection's handlers need to start: the server's parts, and how its durables are named. */
export interface GroupStartParts {
  readonly instanceId: string;
  readonly consuming: GroupConsumingParts;
  /** A consumer's pulling recovered after an election (the server's `recovery` event). */
  readonly recovered?: (event: RecoveryEvent) => void;
}

/** The app's options as one connection sees them: its declared streams only, its JetStream domain. */
function optionsFor(options: JetStreamServerOptions, connection: string, domain: string | undefined): JetStreamServerOptions {
  return { ...options, streams: streamsOn(options.streams, connection), domain };
}

/** The handlers and declared streams of one named connection: provisioned and consumed through it once it is up. */
class ConnectionGroup {
  readonly consuming: Consuming = { runners: [] };
  js?: JetStreamClient;
  jsm?: JetStreamManager;
  nc?: NatsConnection;
  #running?: Promise<void>;
  #closing = false;
  readonly #abort = new AbortController();
  /** The durables as resolved, before a start names a per-instance one after the instance: restored before each try. */
  readonly #durables: string[];

  constructor(
    readonly connection: NamedConnection,
    private readonly pending: UnresolvedBinding[],
    private readonly options: JetStreamServerOptions,
    private readonly retry: BackoffPolicy = NAMED_GROUP_RETRY,
  ) {
    this.#durables = pending.map((b) => b.durable);
  }

  /** Its handlers' subjects, started or not. */
  get subjects(): string[] {
    return this.pending.map((b) => b.subject);
  }

  /** Its JetStream and connection while it is up and its handlers started; undefined otherwise. */
  get live(): { jsm: JetStreamManager; nc: NatsConnection } | undefined {
    const { jsm, nc } = this;
    return jsm && nc && this.connection.state === 'up' ? { jsm, nc } : undefined;
  }

  /** The service's durables on this connection's streams that none of its handlers uses. */
  scanLeftBehind(bindings: readonly HandlerBinding[]): Promise<LeftBehindScan> {
    return scanLeftBehind(this.jsm, this.options, undefined, bindings).then((scan) => ({
      consumers: scan.consumers.map((c) => ({ ...c, connection: this.connection.name })),
      unreadable: scan.unreadable,
    }));
  }

  /** Critical: starts now (the connection is up), and a failure fails the boot. Non-critical: starts once it is up, in the background. */
  start(parts: GroupStartParts, logger: LoggerService): Promise<void> {
    if (this.connection.critical) {
      // Up already: the registry's start() connected it or threw.
      return new Promise((resolve, reject) => this.connection.onceUp((open) => (this.#running = this.#run(open, parts)).then(resolve, reject)));
    }
    this.connection.onceUp((open) => {
      if (this.#closing) return;
      const name = this.connection.name;
      this.#running = retryWithBackoff(() => this.#attempt(open, parts), {
        policy: this.retry,
        signal: this.#abort.signal,
        ready: () => this.connection.state === 'up',
        failed: (err, next) => logger.error(parts.consuming.redact(namedGroupFailed(name, err instanceof Error ? err.message : String(err), next))),
      }).then(() => undefined);
    });
    return Promise.resolve();
  }

  /** One try: what a failed one started is stopped, so that the next starts from nothing. */
  async #attempt(open: OpenConnection, parts: GroupStartParts): Promise<void> {
    this.pending.forEach((b, i) => (b.durable = this.#durables[i]));
    try {
      await this.#run(open, parts);
    } catch (err) {
      await this.#stopStarted(0);
      throw err;
    }
  }

  /** Stops the runners started, the idempotency pruning and the safety net; what is left is a group not started. */
  async #stopStarted(timeoutMs: number): Promise<HandlerRunner[]> {
    const runners = this.consuming.runners.splice(0);
    await Promise.all(runners.map((r) => r.close(timeoutMs).catch(() => undefined)));
    this.consuming.stopIdempotency?.();
    this.consuming.stopIdempotency = undefined;
    await this.consuming.advisories?.close().catch(() => undefined);
    this.consuming.advisories = undefined;
    this.consuming.wiring = undefined;
    this.js = this.jsm = this.nc = undefined;
    return runners;
  }

  async #run(open: OpenConnection, parts: GroupStartParts): Promise<void> {
    const { nc, jsm, serverVersion } = open;
    const { mode, redact, logger } = parts.consuming;
    const domain = this.connection.domain;
    const js = jetstream(nc, domain === undefined ? undefined : { domain });
    const provisioner = new Provisioner(jsm, mode, this.options.serviceName, redact);
    const bindings = await provisionBindings({
      jsm,
      provisioner,
      mode,
      options: this.options,
      pending: this.pending,
      instanceId: parts.instanceId,
      serverVersion,
      logger,
      scanLeftBehind: (resolved) => scanLeftBehind(jsm, this.options, undefined, resolved),
    });
    if (this.#closing) return;
    this.js = js;
    this.jsm = jsm;
    this.nc = nc;
    const termReasonSupported = versionAtLeast(serverVersion, TERM_REASON_MIN_SERVER);
    const leaderWatch = new LeaderWatch(nc, parts.recovered ?? (() => undefined));
    await startConsuming(this.consuming, bindings, { ...parts.consuming, js, jsm, options: this.options, provisioner, termReasonSupported, leaderWatch });
  }

  /** Stops its runners (letting running handlers finish up to `timeoutMs`), its dead-letter safety net and its idempotency pruning. */
  async close(timeoutMs: number): Promise<void> {
    this.#closing = true;
    this.#abort.abort();
    await this.#running?.catch(() => undefined);
    const jsm = this.jsm;
    const runners = await this.#stopStarted(timeoutMs);
    if (jsm && this.connection.state === 'up') await removeInstanceConsumers(jsm, runners);
  }
}

/**
 * The server's named connections (the `connections` option) and, for each, the handlers and
 * declared streams that name it: opened like the client's (critical ones at boot, the others in
 * the background, never blocking it), provisioned and consumed through their own connection
 * (and JetStream domain), closed with the server. The default connection stays the server's own.
 */
export class ConnectionGroups {
  readonly registry: JetStreamConnections;
  readonly #groups: ConnectionGroup[] = [];

  constructor(
    private readonly options: JetStreamServerOptions,
    deps: { logger: LoggerService; redact: Redactor; defaultState: () => NamedConnectionState; onState?: NamedConnectionDeps['onState'] },
  ) {
    const publishDefaults = resolvePublishDefaults(options.publish);
    this.registry = new JetStreamConnections(options.connections, { who: 'JetStreamServer', publishDefaults, ...deps }, deps.defaultState);
    for (const s of options.streams ?? []) {
      if (!onDefaultConnection(s.connection) && !this.registry.get(s.connection ?? '')) {
        throw new UnknownConnectionError(s.connection ?? '', streamOnUnknownConnection(s.name), this.registry.names);
      }
    }
  }

  /** The options the default connection provisions: the streams declared for it only. */
  static defaultView(options: JetStreamServerOptions): JetStreamServerOptions {
    const streams = streamsOn(options.streams, DEFAULT_CONNECTION_NAME);
    return options.streams === undefined || streams.length === options.streams.length ? options : { ...options, streams };
  }

  /** The handlers on the default connection; the others are kept for their connection. */
  split(pending: readonly UnresolvedBinding[]): UnresolvedBinding[] {
    const byName = new Map<string, UnresolvedBinding[]>();
    for (const b of pending) if (b.connection !== undefined) byName.set(b.connection, [...(byName.get(b.connection) ?? []), b]);
    for (const name of this.registry.names.slice(1)) {
      const declares = (this.options.streams ?? []).some((s) => s.connection === name);
      const handlers = byName.get(name) ?? [];
      if (handlers.length === 0 && !declares) continue;
      const connection = this.registry.get(name) as NamedConnection;
      this.#groups.push(new ConnectionGroup(connection, handlers, optionsFor(this.options, name, connection.domain)));
    }
    return pending.filter((b) => b.connection === undefined);
  }

  /** Opens the named connections (critical ones now, or throws) and starts each one's handlers (a non-critical one's once it is up). */
  async start(parts: GroupStartParts, logger: LoggerService): Promise<void> {
    if (!this.registry.any) return;
    await this.registry.start();
    await Promise.all(this.#groups.map((g) => g.start(parts, logger)));
  }

  /** The runners of every named connection's handlers (those started). */
  get runners(): HandlerRunner[] {
    return this.#groups.flatMap((g) => g.consuming.runners);
  }

  /** Each named connection that has handlers: critical or not, its JetStream while up and started, its handlers' subjects. */
  namedHandlers(): NamedHandlersHealth[] {
    return this.#groups
      .filter((g) => g.subjects.length > 0)
      .map((g) => ({ connection: g.connection.name, critical: g.connection.critical, jsm: g.live?.jsm, subjects: g.subjects }));
  }

  /** The JetStream and connection of named connection `name` while it is up and its handlers started. */
  connectionOf(name: string): { jsm: JetStreamManager; nc: NatsConnection } | undefined {
    return this.#groups.find((g) => g.connection.name === name)?.live;
  }

  /** The consumers left behind on each named connection that is up (its own streams, its handlers' durables). */
  async scanLeftBehind(): Promise<LeftBehindScan[]> {
    const live = this.#groups.filter((g) => g.live !== undefined);
    return Promise.all(live.map((g) => g.scanLeftBehind(g.consuming.runners.map((r) => r.binding))));
  }

  /** What each named connection's handlers use, for the permissions plan and the left-behind report. */
  facts(): NamedConnectionFacts[] {
    return this.#groups.map((g) => ({
      connection: g.connection.name,
      jsm: g.jsm,
      bindings: g.consuming.runners.map((r) => r.binding),
      advisories: g.consuming.advisories,
    }));
  }

  /** The JetStream of named connection `name` while it is up and its handlers started; undefined otherwise. */
  jsmOf(name: string): JetStreamManager | undefined {
    return this.connectionOf(name)?.jsm;
  }

  /** Where to replay the handler bound to `subject` when it is on a named connection; undefined when it is not. */
  replayTarget(subject: string): { js: JetStreamClient; jsm: JetStreamManager; wiring: RunnerHost; bindings: HandlerBinding[] } | undefined {
    const group = this.#groups.find((g) => g.consuming.runners.some((r) => r.binding.subject === subject));
    if (!group) return undefined;
    const { js, jsm } = group;
    const wiring = group.consuming.wiring;
    if (!js || !jsm || !wiring || group.connection.state !== 'up') throw new JetStreamConnectionError(replayOnNamedConnection(subject, group.connection.name));
    return { js, jsm, wiring, bindings: group.consuming.runners.map((r) => r.binding) };
  }

  /** Closes every connection's handlers, then the connections. */
  async close(timeoutMs: number): Promise<void> {
    await Promise.all(this.#groups.map((g) => g.close(timeoutMs)));
    if (this.registry.any) await this.registry.close();
  }
}
