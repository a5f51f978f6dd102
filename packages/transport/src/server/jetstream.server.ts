import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { jetstream } from '@nats-io/jetstream';
import { nuid, type NatsConnection } from '@nats-io/nats-core';
import type { LoggerService } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { DEFAULTS, JETSTREAM_TRANSPORT, TERM_REASON_MIN_SERVER } from '../constants.js';
import { JsonCodec } from '../codecs/json.codec.js';
import { openConnection } from '../connection/open-connection.js';
import { EventListeners, watchConnection, type ConnectionEvents, type JetStreamStatus } from '../connection/connection-events.js';
import { JetStreamNotListeningError } from '../errors/jetstream-transport.error.js';
import type { JetStreamServerOptions } from '../interfaces/jetstream-options.interface.js';
import { Provisioner } from '../provisioning/provisioner.js';
import { validateOptions } from '../config/validate-options.js';
import { attachNestAdapter, type NestAdapterLease } from '../nest-adapter/nest-internals.js';
import { notStartedMessage, type AppView } from './app-view.js';
import { toMillis } from '../utils/duration.js';
import { versionAtLeast } from '../utils/server-version.js';
import { ConsumerRunner, type RunnerHost } from '../consuming/consumer-runner.js';
import { BatchRunner } from '../consuming/batch/batch-runner.js';
import { healthConsumerOf, instrumentedHandlerOf, removeInstanceConsumers, type HandlerRunner } from '../consuming/runners.js';
import { replay } from '../consuming/replay.js';
import type { ReplayOptions, ReplayResult } from '../delivery/replay.types.js';
import { resolvePublishDefaults, type PublisherDefaults } from '../publishing/publisher.js';
import type { AdvisoryWatcher } from '../dead-letter/advisory-watcher.js';
import { computePermissions, type NatsPermissions, type PermissionRole, type PermissionsPlan } from '../permissions/compute-permissions.js';
import type { DeadLetterEvent, DeadLetterLostEvent, TerminatedMessageEvent } from '../events/settle.events.js';
import { bindingForHandler } from './handler-intake.js';
import { APP_LINK, type AppLink } from './app-link.js';
import { startConsuming, type Consuming } from './runner-wiring.js';
import { checkBeforeStart, deadLetterSubjectsOf, LeftBehindCache, mergeScans, planPermissions, scanLeftBehind, streamsUsed } from './server-facts.js';
import { provisionBindings } from './provision-bindings.js';
import { ShutdownReport } from './shutdown-report.js';
import { startLeaderGuard, type LeaderGuard, type RecoveryEvent } from '../connection/leader-guard.js';
import { LeaderWatch } from '../consuming/leader-watch.js';
import { JetStreamHealth } from '../health/jetstream-health.js';
import { JetStreamConsumers } from '../consumer-control/jetstream-consumers.js';
import type { HealthSource } from '../health/health-source.js';
import type { ProcessingHooks } from '../consuming/processing-hooks.js';
import type { HandlerBinding, HandlerBindingInfo, UnresolvedBinding } from '../bindings/handler-binding.js';
import { Instrumentations } from '../observability/instrumentations.js';
import { createRedactor, type Redactor } from '../security/redact.js';
import { RedactingLogger } from '../security/redacting-logger.js';
import type { LeftBehindScan } from '../provisioning/left-behind-consumers.js';
import type { ConnectionStateEvent, InstrumentationEvents } from '../observability/instrumentation.interface.js';
import { ConnectionGroups, type GroupConsumingParts } from './connection-groups.js';
import { stateOfStatus } from '../connections/named-connection.js';

/** Events of `JetStreamServer.on()`. */
export type JetStreamServerEvents = ConnectionEvents & {
  terminated: (event: TerminatedMessageEvent) => void;
  deadLetter: (event: DeadLetterEvent) => void;
  deadLetterLost: (event: DeadLetterLostEvent) => void;
  /** A consumer's pulling recovered after a fault: a pull re-issued, the consumer put back, or the connection moved off a server that lost the leader. */
  recovery: (event: RecoveryEvent) => void;
};

const LOG_CONTEXT = 'JetStreamServer';

/**
 * The Nest transport strategy: a consumer per `@JetStreamEvent` handler, of the kind its delivery mode names (docs/delivery-modes.md).
 * Use it alone (`NestFactory.createMicroservice(M, { strategy: new JetStreamServer(opts) })`)
 * or beside `Transport.NATS` in a hybrid app (`app.connectMicroservice({ strategy })`).
 */
export class JetStreamServer extends Server<JetStreamServerEvents, JetStreamStatus> implements CustomTransportStrategy {
  override transportId = JETSTREAM_TRANSPORT;
  /** Handler errors reach the runner, which settles the message, instead of being only logged. */
  override readonly propagatesEventHandlerErrors = true;
  /** Every line goes through the connection's redactor: no credential reaches the logs. */
  override readonly logger: LoggerService;
  /** Removes this server's credentials (and any recognisable secret) from a text. */
  readonly #redact: Redactor;
  readonly #options: JetStreamServerOptions;

  readonly #pending: UnresolvedBinding[] = [];
  /** Plain `@EventPattern` patterns Nest offered and this server did not bind. */
  readonly #plainPatterns: unknown[] = [];
  /** The app, as `JetStreamModule` sees it; undefined without the module. */
  #app?: AppView;
  #listenCalled = false;
  readonly #listeners = new EventListeners<JetStreamServerEvents>((event, err) => this.logger.error(`A "${event}" listener threw: ${String(err)}`));
  #nc?: NatsConnection;
  #leaderGuard?: LeaderGuard;
  #jsm?: JetStreamManager;
  #js?: JetStreamClient;
  #lastStatus?: JetStreamStatus;
  #closedError?: Error;
  /** Liveness and readiness (the six health signals); `@nest-jetstream/transport/terminus` wraps it for `@nestjs/terminus`. */
  readonly health: JetStreamHealth;
  /** Pauses and resumes the handlers' consumers on the server (docs/consumer-control.md). */
  readonly consumers = new JetStreamConsumers({
    ...{ who: 'JetStreamServer', jsm: () => this.#jsm, nc: () => this.#nc },
    bindings: () => this.#allRunners().map((r) => r.binding),
    connectionOf: (name) => this.#groups.connectionOf(name),
  });
  #provisioner?: Provisioner;
  #runners: HandlerRunner[] = [];
  readonly #replays = new Set<HandlerRunner>();
  /** Names this instance's own consumers (the modes with a consumer per instance). */
  readonly #instanceId = nuid.next().slice(-8);
  /** Handed to every runner at `listen()`. */
  #wiring?: RunnerHost;
  #advisories?: AdvisoryWatcher;
  readonly #shutdownTimeoutMs: number;
  readonly #deadLetterPublish: PublisherDefaults;
  readonly #instrumentations: Instrumentations;
  /** What nest-adapter/nest-internals.ts wraps in Nest while this server lives (released by close()). */
  readonly #nestAdapter: NestAdapterLease;
  #closed = false;
  /** The named connections (the `connections` option) and the handlers and streams on each. */
  readonly #groups: ConnectionGroups;
  /** The instrumentations following the named connections' states (metrics' `connected{connection}`). */
  readonly #stateListeners: ((event: ConnectionStateEvent) => void)[] = [];
  readonly #leftBehind = new LeftBehindCache();
  /** Set when close() starts: the connection closing after it is expected. */
  #closing = false;
  /** Stops pruning the idempotency keys (set at `listen()` when `idempotency.pruneInterval` is). */
  #stopIdempotency?: () => void;
  /** NestJS 12's processing hooks, once the app set one (before `listen()`): handed to the runners. */
  #processingHooks?: ProcessingHooks;

  constructor(options: JetStreamServerOptions = {}) {
    super();
    validateOptions(options, 'JetStreamServer');
    this.#options = ConnectionGroups.defaultView(options);
    this.#redact = createRedactor(options.connection);
    this.logger = RedactingLogger.for(LOG_CONTEXT, this.#redact);
    this.#groups = new ConnectionGroups(options, {
      ...{ logger: this.logger, redact: this.#redact, defaultState: () => stateOfStatus(this.#lastStatus) },
      onState: (connection, state, reconnected) => {
        for (const l of this.#stateListeners) l({ connection, up: state === 'up', reconnected });
      },
    });
    this.#shutdownTimeoutMs = toMillis(options.shutdownTimeout ?? DEFAULTS.shutdownTimeout, 'shutdownTimeout');
    // The dead-letter publisher honours the app's publish.timeout; its retry budget is its own.
    this.#deadLetterPublish = { ...resolvePublishDefaults(options.publish), retryBudgetMs: toMillis(DEFAULTS.deadLetter.publishBudget, 'publishBudget') };
    this.#instrumentations = new Instrumentations(options);
    this.#nestAdapter = attachNestAdapter(this);
    this.status.subscribe((status) => (this.#lastStatus = status));
    this.#listeners.add('closed', (err) => (this.#closedError = err));
    this.health = new JetStreamHealth(this.#healthSource(), options.health);
  }

  #healthSource(): HealthSource {
    return {
      who: 'JetStreamServer',
      redact: this.#redact,
      serviceName: this.#options.serviceName ?? DEFAULTS.serviceName,
      provisioning: this.#options.provisioning ?? DEFAULTS.provisioning,
      connection: () => (this.#nc && this.#jsm ? { nc: this.#nc, jsm: this.#jsm } : undefined),
      status: () => this.#lastStatus,
      closedReason: () => this.#closedError,
      notStarted: () => (this.#listenCalled || this.#closed ? undefined : notStartedMessage(this.#app)),
      consumers: () => this.#allRunners().map(healthConsumerOf),
      namedHandlers: () => this.#groups.namedHandlers(),
      streams: () => streamsUsed(this.#options, this.#boundTo()).map((name) => ({ name })),
      deadLetterSubjects: () => deadLetterSubjectsOf(this.#boundTo()),
      missingDeadLetterSubjects: () => this.missingDeadLetterSubjects,
      leftBehind: () => this.#leftBehind.get(async () => mergeScans([await this.#scanLeftBehind(this.#boundTo()), ...(await this.#groups.scanLeftBehind())])),
      waitingForLeader: () => this.#leaderGuard?.waitingForLeader() ?? [],
      namedConnections: () => (this.#groups.registry.any ? this.#groups.registry.report() : undefined),
    };
  }

  /**
   * @internal `JetStreamModule`'s link (server/app-link.ts): it gives the server the app and asks
   * whether `listen()` was called. Keyed by a `Symbol.for`, so another copy of the library finds it.
   */
  get [APP_LINK](): AppLink {
    return { useApp: (app) => (this.#app = app), listenStarted: () => this.#listenCalled };
  }

  /** The bindings of the handlers running. */
  #boundTo(): HandlerBinding[] {
    return this.#runners.map((r) => r.binding);
  }

  #scanLeftBehind(bindings: readonly HandlerBinding[]): Promise<LeftBehindScan> {
    return scanLeftBehind(this.#jsm, this.#options, this.health.storageTarget?.stream, bindings);
  }

  /**
   * The least-privilege permissions of `role` for this app (after `listen()`): the JSON a
   * nats-server config takes under `authorization.users[].permissions`. `publishes` lists the
   * subjects the service publishes, which cannot be inferred. See docs/security.md.
   */
  async permissions(role: PermissionRole, { publishes = [] }: { publishes?: string[] } = {}): Promise<NatsPermissions> {
    return computePermissions(await this.permissionsPlan(publishes), role);
  }

  /** What `permissions()` computes from: the streams, consumers and subjects this app uses. */
  async permissionsPlan(publishes: string[] = []): Promise<PermissionsPlan> {
    if (!this.#jsm) throw new JetStreamNotListeningError('JetStreamServer.permissionsPlan()', this.#closed);
    return planPermissions(this.#jsm, this.#options, this.#boundTo(), this.#advisories, this.health.storageTarget, publishes, this.#groups.facts());
  }

  /** NestJS 12: runs around every handler call, for CLS and tracing (set it before `listen()`). */
  override setOnProcessingStartHook(hook: Parameters<Server['setOnProcessingStartHook']>[0]): void {
    // Set here rather than through super: NestJS 11's Server has no such method, and ours works there too.
    this.onProcessingStartHook = hook;
    this.#useProcessingHooks();
  }

  /** NestJS 12: runs once a handler has finished (its Promise or Observable included). */
  override setOnProcessingEndHook(hook: Parameters<Server['setOnProcessingEndHook']>[0]): void {
    this.onProcessingEndHook = hook;
    this.#useProcessingHooks();
  }

  /** NestJS 11's Server has neither hook: each is called only when set. */
  #useProcessingHooks(): void {
    const start: ProcessingHooks['start'] = (ctx, done) => (this.onProcessingStartHook ? this.onProcessingStartHook(this.transportId, ctx, done) : done());
    this.#processingHooks = { start, end: (ctx) => this.onProcessingEndHook?.(this.transportId, ctx) };
  }

  /** Nest calls this for every handler of every transport; only JetStream handlers are kept. */
  override addHandler(pattern: unknown, callback: MessageHandler, isEventHandler = false, extras: Record<string, unknown> = {}): void {
    const subject = this.normalizePattern(pattern as string);
    const binding = bindingForHandler(this, { subject, callback, isEventHandler, extras }, this.#options);
    if (!binding) {
      // Nest offers every server the handlers bound to no transport; see plainEventVerdict().
      if (isEventHandler) this.#plainPatterns.push(pattern);
      return;
    }
    this.#pending.push(binding);
    // Nest chains a second event handler of the same pattern onto the first, so calling the first
    // runs both. Each binding here calls its own handler on its own consumer: keep the first for
    // Nest's lookups and never chain.
    if (!this.messageHandlers.has(subject)) super.addHandler(pattern, callback, isEventHandler, extras);
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    this.#listenCalled = true;
    this.#nestAdapter.listening();
    try {
      await this.#start();
      callback();
    } catch (err) {
      await this.close().catch(() => undefined);
      callback(err);
    }
  }

  /**
   * Handlers abandoned after their `handlerTimeout` that have not returned yet. JavaScript cannot stop them,
   * so they run beside their consumer's `concurrency` handlers; a number that keeps growing means hung handlers.
   */
  get timedOutHandlers(): number {
    return this.#allRunners().reduce((n, r) => n + (r instanceof ConsumerRunner || r instanceof BatchRunner ? r.timedOutRunning : 0), 0);
  }

  /**
   * Dead-letter subjects no stream captured at `listen()` (in `verify` and `off`; `create-or-update`
   * gives them a stream). Until one is created, failed messages wait in their streams.
   */
  get missingDeadLetterSubjects(): readonly string[] {
    return this.#provisioner?.missingDeadLetterSubjects ?? [];
  }

  /** The handlers bound, with their streams and durables resolved (after `listen()`). */
  get bindings(): readonly HandlerBindingInfo[] {
    return this.#allRunners().map((r) => r.info);
  }

  #allRunners(): HandlerRunner[] {
    return [...this.#runners, ...this.#groups.runners];
  }

  async #start(): Promise<void> {
    checkBeforeStart(this.#plainPatterns, this.#app, this.#pending.length, this.#options, this.logger);
    const { nc, jsm, serverVersion } = await openConnection(this.#options.connection, 'JetStreamServer', this.#options.domain);
    this.#nc = nc;
    const recovered = (e: RecoveryEvent) => this.#listeners.emit('recovery', e);
    this.#leaderGuard = startLeaderGuard(nc, this.logger, recovered);
    this.#jsm = jsm;
    this._status$.next('connected');
    const events = this.#listeners as EventListeners<ConnectionEvents>;
    void watchConnection(nc, this._status$, events, 'JetStreamServer', () => this.#closing, this.logger, this.#redact);
    this.#js = jetstream(nc, this.#options.domain === undefined ? undefined : { domain: this.#options.domain });
    const mode = this.#options.provisioning ?? DEFAULTS.provisioning;
    this.#provisioner = new Provisioner(jsm, mode, this.#options.serviceName, this.#redact);
    const pending = this.#groups.split(this.#pending);
    const bindings = await provisionBindings({
      ...{ server: this, jsm, provisioner: this.#provisioner, mode, options: this.#options, pending, instanceId: this.#instanceId },
      ...{ serverVersion, health: this.health, scanLeftBehind: (resolved) => this.#scanLeftBehind(resolved), logger: this.logger },
    });
    const listeners = this.#listeners;
    const consuming: Consuming = { runners: this.#runners };
    const shared: GroupConsumingParts = {
      emit: {
        terminated: (e) => listeners.emit('terminated', e),
        deadLetter: (e) => listeners.emit('deadLetter', e),
        deadLetterLost: (e) => listeners.emit('deadLetterLost', e),
      },
      ...{ mode, redact: this.#redact, logger: this.logger, codec: this.#options.codec ?? new JsonCodec(), processingHooks: this.#processingHooks },
      ...{ publish: this.#deadLetterPublish, publishObserver: this.#instrumentations.publish, consumeObserver: this.#instrumentations.consume },
    };
    try {
      await startConsuming(consuming, bindings, {
        ...{ ...shared, js: this.#js, jsm, options: this.#options, provisioner: this.#provisioner, leaderGuard: this.#leaderGuard },
        leaderWatch: new LeaderWatch(nc, recovered),
        termReasonSupported: versionAtLeast(serverVersion, TERM_REASON_MIN_SERVER),
      });
    } finally {
      ({ advisories: this.#advisories, stopIdempotency: this.#stopIdempotency, wiring: this.#wiring } = consuming);
    }
    await this.#groups.start({ instanceId: this.#instanceId, consuming: shared, recovered }, this.logger);
    const on = <K extends keyof InstrumentationEvents>(event: K, listener: (payload: InstrumentationEvents[K]) => void) =>
      listeners.add(event, listener as JetStreamServerEvents[K]);
    const serviceName = this.#options.serviceName ?? DEFAULTS.serviceName;
    const streams = streamsUsed(this.#options, bindings);
    const allRunners = () => this.#allRunners();
    const groups = this.#groups;
    await this.#instrumentations.attach({
      ...{ role: 'server', serviceName, connection: nc, jsm, streams, status: this.status, on },
      get handlers() {
        return allRunners().map(instrumentedHandlerOf);
      },
      jsmOf: (name) => groups.jsmOf(name),
      onConnectionState: (listener) => {
        // The current states first: critical ones came up before this attach.
        for (const c of groups.registry.report().connections.slice(1)) listener({ connection: c.name, up: c.state === 'up', reconnected: false });
        this.#stateListeners.push(listener);
      },
    });
  }

  /** Stops pulling, lets running handlers finish (up to `shutdownTimeout`) and settle, then drains the connection. */
  async close(): Promise<void> {
    this.#closing = true;
    const timeout = this.#shutdownTimeoutMs;
    const runners = this.#runners;
    this.#runners = [];
    const closing = [...runners, ...this.#replays];
    const report = this.#nc ? new ShutdownReport(this.logger, closing, timeout) : undefined;
    await Promise.all([...closing.map((r) => r.close(timeout)), this.#groups.close(timeout)]);
    report?.handlersDone();
    this.#stopIdempotency?.();
    if (this.#jsm) await removeInstanceConsumers(this.#jsm, runners);
    await this.#advisories?.close();
    this.#advisories = undefined;
    await this.#instrumentations.detach();
    const nc = this.#nc;
    this.#nc = undefined;
    if (nc && !nc.isClosed()) {
      await nc.drain().catch(() => nc.close());
    }
    this.#nestAdapter.release();
    report?.closed();
    this.#closed = true;
    this._status$.next('closed');
  }

  override on<K extends keyof JetStreamServerEvents = keyof JetStreamServerEvents, C extends JetStreamServerEvents[K] = JetStreamServerEvents[K]>(
    event: K,
    callback: C,
  ): void {
    this.#listeners.add(event, callback);
  }

  /** The `NatsConnection`. Throws before `listen()` has connected. */
  unwrap<T = NatsConnection>(): T {
    if (!this.#nc) throw new JetStreamNotListeningError('JetStreamServer.unwrap()', this.#closed);
    return this.#nc as T;
  }

  /**
   * Replays a range of a stream through the handler bound to `subject` (after `listen()`), on an
   * ordered consumer of its own: the app's durable consumers are not touched. The handler's
   * retries, poison errors and dead-letter route apply; see docs/delivery-modes.md.
   */
  async replay(subject: string, options: ReplayOptions): Promise<ReplayResult> {
    if (!this.#js || !this.#jsm || !this.#wiring) throw new JetStreamNotListeningError('JetStreamServer.replay()', this.#closed);
    // A handler on a named connection replays through it.
    const t = this.#groups.replayTarget(subject) ?? { js: this.#js, jsm: this.#jsm, bindings: this.#boundTo(), wiring: this.#wiring };
    return replay(t.js, t.jsm, t.bindings, subject, t.wiring, options, this.#replays);
  }
}
