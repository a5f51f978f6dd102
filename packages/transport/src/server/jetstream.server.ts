import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { jetstream } from '@nats-io/jetstream';
import { nuid, type NatsConnection } from '@nats-io/nats-core';
import type { LoggerService } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { DEFAULTS, LEFT_BEHIND_RESCAN_MS, JETSTREAM_CLASS_KEY, JETSTREAM_EXTRAS_KEY, JETSTREAM_METHOD_KEY, JETSTREAM_TRANSPORT, TERM_REASON_MIN_SERVER } from '../constants.js';
import { JsonCodec } from '../codecs/json.codec.js';
import { openConnection } from '../connection/open-connection.js';
import { EventListeners, watchConnection, type ConnectionEvents, type JetStreamStatus } from '../connection/connection-events.js';
import { JetStreamConfigError, JetStreamNotListeningError } from '../errors/jetstream-transport.error.js';
import type { JetStreamEventOptions } from '../interfaces/jetstream-event-options.interface.js';
import type { JetStreamServerOptions } from '../interfaces/jetstream-options.interface.js';
import { Provisioner, provisioningServerError } from '../provisioning/provisioner.js';
import { validateOptions } from '../config/validate-options.js';
import { handlerErrorCapture } from '../nest-patches/handler-error-capture.js';
import { pipeRejectionCapture } from '../nest-patches/pipe-rejection-capture.js';
import { REGISTRATION, registrationHook, type Registration } from '../nest-patches/registration-hook.js';
import { appContainerCapture } from '../nest-patches/app-container-capture.js';
import { checkRequestSubjects } from './request-subjects.js';
import { plainEventVerdict } from './plain-event-patterns.js';
import { notStartedMessage, type AppView } from './app-view.js';
import { toMillis } from '../utils/duration.js';
import { versionAtLeast } from '../utils/server-version.js';
import { assertDeclaredTimingSupported } from '../message-timing/timing-streams.js';
import { ConsumerRunner, type RunnerHost } from '../consuming/consumer-runner.js';
import { startIdempotency } from '../idempotency/idempotency-runtime.js';
import { createRunner, healthConsumerOf, removeInstanceConsumers, replay, type HandlerRunner } from '../consuming/runners.js';
import type { ReplayOptions, ReplayResult } from '../consuming/replay.types.js';
import { applyCheckpoints } from '../bindings/checkpoints.js';
import { Publisher, resolvePublishDefaults, type PublisherDefaults } from '../publishing/publisher.js';
import { ADVISORY_DURABLE, AdvisoryWatcher, advisoryStreamName } from '../dead-letter/advisory-watcher.js';
import { computePermissions, type NatsPermissions, type PermissionRole, type PermissionsPlan } from '../permissions/compute-permissions.js';
import { DeadLetterRouter } from '../dead-letter/dead-letter.router.js';
import type { DeadLetterEvent, DeadLetterLostEvent, TerminatedMessageEvent } from '../events/settle.events.js';
import { planDirectCall } from './direct-call.js';
import { runnerWiring } from './runner-wiring.js';
import { ShutdownReport } from './shutdown-report.js';
import { JetStreamHealth } from '../health/jetstream-health.js';
import type { HealthSource } from '../health/health-source.js';
import { renderDeadLetterSubject } from '../config/dead-letter-subject.js';
import type { ProcessingHooks } from '../consuming/processing-hooks.js';
import type { HandlerBinding, HandlerBindingInfo, UnresolvedBinding } from '../bindings/handler-binding.js';
import { resolveBinding } from '../bindings/resolve-bindings.js';
import { Instrumentations } from '../observability/instrumentations.js';
import { createRedactor, type Redactor } from '../security/redact.js';
import { RedactingLogger } from '../security/redacting-logger.js';
import { findLeftBehind, reportLeftBehind, type LeftBehindScan } from '../provisioning/left-behind-consumers.js';
import type { InstrumentationEvents } from '../observability/instrumentation.interface.js';

/** Events of `JetStreamServer.on()`. */
export type JetStreamServerEvents = ConnectionEvents & {
  terminated: (event: TerminatedMessageEvent) => void;
  deadLetter: (event: DeadLetterEvent) => void;
  deadLetterLost: (event: DeadLetterLostEvent) => void;
};

const LOG_CONTEXT = 'JetStreamServer';

/**
 * The Nest transport strategy: one durable pull consumer per `@JetStreamEvent` handler.
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
  /** @internal Set by the registration hook while Nest registers a controller's handlers here (direct calls). */
  [REGISTRATION]?: Registration = undefined;

  private readonly pending: UnresolvedBinding[] = [];
  /** Plain `@EventPattern` patterns Nest offered and this server did not bind. */
  private readonly plainPatterns: unknown[] = [];
  /** The app, as `JetStreamModule` sees it; undefined without the module. */
  private app?: AppView;
  private listenCalled = false;
  private readonly listeners = new EventListeners<JetStreamServerEvents>((event, err) =>
    this.logger.error(`A "${event}" listener threw: ${String(err)}`),
  );
  private nc?: NatsConnection;
  private jsm?: JetStreamManager;
  private js?: JetStreamClient;
  private lastStatus?: JetStreamStatus;
  private closedError?: Error;
  /** Liveness and readiness (the six health signals); `@nest-jetstream/transport/terminus` wraps it for `@nestjs/terminus`. */
  readonly health: JetStreamHealth;
  private provisioner?: Provisioner;
  private runners: HandlerRunner[] = [];
  private readonly replays = new Set<HandlerRunner>();
  /** Names this instance's own consumers (`'broadcast'`, `'ordered'`). */
  private readonly instanceId = nuid.next().slice(-8);
  private router?: DeadLetterRouter;
  /** Handed to every runner at `listen()`. */
  #wiring?: RunnerHost;
  private advisories?: AdvisoryWatcher;
  private readonly shutdownTimeoutMs: number;
  private readonly deadLetterPublish: PublisherDefaults;
  private readonly instrumentations: Instrumentations;
  private readonly patches: (() => void)[];
  private readonly releaseRegistrationHook: () => void;
  private closed = false;
  private leftBehindCache?: { at: number; scan: Promise<LeftBehindScan> };
  /** Set when close() starts: the connection closing after it is expected. */
  private closing = false;
  /** Stops pruning the idempotency keys (set at `listen()` when `idempotency.pruneInterval` is). */
  private stopIdempotency?: () => void;
  /** NestJS 12's processing hooks, once the app set one (before `listen()`): handed to the runners. */
  #processingHooks?: ProcessingHooks;

  constructor(private readonly options: JetStreamServerOptions = {}) {
    super();
    this.#redact = createRedactor(options.connection);
    this.logger = RedactingLogger.for(LOG_CONTEXT, this.#redact);
    validateOptions(options, 'JetStreamServer');
    this.shutdownTimeoutMs = toMillis(options.shutdownTimeout ?? DEFAULTS.shutdownTimeout, 'shutdownTimeout');
    // The dead-letter publisher honours the app's publish.timeout; its retry budget is its own.
    this.deadLetterPublish = { ...resolvePublishDefaults(options.publish), retryBudgetMs: toMillis(DEFAULTS.deadLetter.publishBudget, 'publishBudget') };
    this.instrumentations = new Instrumentations(options);
    // Nest's own classes are patched only while a JetStream server lives (released by close()).
    this.patches = [handlerErrorCapture.acquire(), pipeRejectionCapture.acquire(), appContainerCapture.acquire()];
    // Only until Nest has registered the handlers, which it does before it calls listen().
    this.releaseRegistrationHook = options.directCalls !== false ? registrationHook.acquire() : () => undefined;
    this.patches.push(this.releaseRegistrationHook);
    this.status.subscribe((status) => (this.lastStatus = status));
    this.listeners.add('closed', (err) => (this.closedError = err));
    this.health = new JetStreamHealth(this.healthSource(), options.health);
  }

  private healthSource(): HealthSource {
    return {
      who: 'JetStreamServer',
      redact: this.#redact,
      serviceName: this.options.serviceName ?? DEFAULTS.serviceName,
      provisioning: this.options.provisioning ?? DEFAULTS.provisioning,
      connection: () => (this.nc && this.jsm ? { nc: this.nc, jsm: this.jsm } : undefined),
      status: () => this.lastStatus,
      closedReason: () => this.closedError,
      notStarted: () => (this.listenCalled || this.closed ? undefined : notStartedMessage(this.app)),
      consumers: () => this.runners.map(healthConsumerOf),
      streams: () => this.streamsUsed().map((name) => ({ name })),
      deadLetterSubjects: () => this.deadLetterSubjects(),
      missingDeadLetterSubjects: () => this.missingDeadLetterSubjects,
      leftBehind: () => this.leftBehindForHealth(),
    };
  }

  /** @internal Given by `JetStreamModule`: the app's servers and handlers, read through Nest's public API. */
  useApp(app: AppView): void {
    this.app = app;
  }

  /** @internal Whether `listen()` was called (the app started this server). */
  get listenStarted(): boolean {
    return this.listenCalled;
  }

  /** Readiness lists consumers left behind from a scan at most `LEFT_BEHIND_RESCAN_MS` old: they only change with a deploy. */
  private leftBehindForHealth(): Promise<LeftBehindScan> {
    const cached = this.leftBehindCache;
    if (cached && Date.now() - cached.at < LEFT_BEHIND_RESCAN_MS) return cached.scan;
    const scan = this.scanLeftBehind(this.runners.map((r) => r.binding));
    this.leftBehindCache = { at: Date.now(), scan };
    scan.catch(() => (this.leftBehindCache = undefined));
    return scan;
  }

  /**
   * The durables of this service on the app's streams that no handler uses (see
   * provisioning/left-behind-consumers.ts); the library's own streams (dead-letter advisories,
   * health) are not looked at.
   */
  private async scanLeftBehind(bindings: readonly HandlerBinding[]): Promise<LeftBehindScan> {
    if (!this.jsm || this.options.serviceName === undefined) return { consumers: [], unreadable: [] };
    const serviceName = this.options.serviceName;
    const own = new Set([advisoryStreamName(serviceName), this.health.storageTarget?.stream]);
    const streams = [...(this.options.streams ?? []).map((d) => d.name), ...bindings.map((b) => b.stream)].filter((s) => !own.has(s));
    return findLeftBehind(this.jsm, streams, serviceName, new Set(bindings.map((b) => `${b.stream}/${b.durable}`)));
  }

  /** The streams the app declares or its handlers read. */
  private streamsUsed(): string[] {
    return [...new Set([...(this.options.streams ?? []).map((d) => d.name), ...this.runners.map((r) => r.binding.stream)])];
  }

  /** The handlers' dead-letter subjects, rendered from their templates. */
  private deadLetterSubjects(): string[] {
    return [...new Set(this.runners.flatMap(({ binding: b }) => (b.deadLetter ? [renderDeadLetterSubject(b.deadLetter, b.subject, b.stream, b.durable)] : [])))];
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
    if (!this.jsm) throw new JetStreamNotListeningError('JetStreamServer.permissionsPlan()', this.closed);
    const bindings = this.runners.map((r) => r.binding);
    const deadLetterSubjects = this.deadLetterSubjects();
    const deadLetterStreams = new Set<string>();
    for (const subject of deadLetterSubjects) {
      const stream = await this.jsm.streams.find(subject).catch(() => undefined);
      if (stream) deadLetterStreams.add(stream);
    }
    const serviceName = this.options.serviceName ?? DEFAULTS.serviceName;
    const advisoryOn = this.advisories !== undefined;
    return {
      streams: this.streamsUsed(),
      consumers: bindings.map((b) => ({ stream: b.stream, durable: b.durable, mode: b.mode })),
      deadLetterSubjects,
      deadLetterStreams: [...deadLetterStreams],
      advisory: advisoryOn ? { stream: advisoryStreamName(serviceName), durable: ADVISORY_DURABLE, subjects: this.advisories?.subjects() ?? [] } : undefined,
      health: this.health.storageTarget,
      publishes,
      leaderAdvisories: this.options.metrics !== undefined,
      inboxPrefix: this.options.connection?.inboxPrefix,
    };
  }

  /** NestJS 12: runs around every handler call, for CLS and tracing (set it before `listen()`). */
  override setOnProcessingStartHook(hook: Parameters<Server['setOnProcessingStartHook']>[0]): void {
    // Set here rather than through super: NestJS 11's Server has no such method, and ours works there too.
    this.onProcessingStartHook = hook;
    this.useProcessingHooks();
  }

  /** NestJS 12: runs once a handler has finished (its Promise or Observable included). */
  override setOnProcessingEndHook(hook: Parameters<Server['setOnProcessingEndHook']>[0]): void {
    this.onProcessingEndHook = hook;
    this.useProcessingHooks();
  }

  private useProcessingHooks(): void {
    this.#processingHooks = {
      start: (ctx, done) => (this.onProcessingStartHook ? this.onProcessingStartHook(this.transportId, ctx, done) : done()),
      end: (ctx) => this.onProcessingEndHook?.(this.transportId, ctx),
    };
  }

  /** Nest calls this for every handler of every transport; only JetStream handlers are kept. */
  override addHandler(pattern: unknown, callback: MessageHandler, isEventHandler = false, extras: Record<string, unknown> = {}): void {
    const own = extras[JETSTREAM_EXTRAS_KEY] as JetStreamEventOptions | undefined;
    const plainEvent = isEventHandler && this.options.bindPlainEventPatterns === true;
    if (!own && !plainEvent) {
      // Nest offers every server the handlers bound to no transport; see plainEventVerdict().
      if (isEventHandler) this.plainPatterns.push(pattern);
      return;
    }
    const subject = this.normalizePattern(pattern as string);
    const method = extras[JETSTREAM_METHOD_KEY];
    const owner = own ? [extras[JETSTREAM_CLASS_KEY], method].filter((n) => typeof n === 'string').join('.') : undefined;
    const binding = resolveBinding(
      subject,
      own ?? {},
      this.options.consumerDefaults ?? {},
      this.options.serviceName ?? DEFAULTS.serviceName,
      callback,
      this.options.deadLetter ?? false,
      this.options.idempotency?.store,
      owner || undefined,
    );
    const plan =
      this.options.directCalls === false
        ? { reason: 'directCalls: false' }
        : !own
          ? { reason: 'plain @EventPattern' }
          : planDirectCall(this[REGISTRATION], method as string | symbol | undefined);
    if ('call' in plan) {
      binding.invocation = 'direct';
      binding.direct = plan.call;
    } else {
      binding.pipelineReason = plan.reason;
    }
    this.pending.push(binding);
    // Nest chains a second event handler of the same pattern onto the first, so calling the first
    // runs both. Each binding here calls its own handler on its own consumer: keep the first for
    // Nest's lookups and never chain.
    if (!this.messageHandlers.has(subject)) super.addHandler(pattern, callback, isEventHandler, extras);
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    this.listenCalled = true;
    this.releaseRegistrationHook();
    try {
      await this.start();
      callback();
    } catch (err) {
      await this.close().catch(() => undefined);
      callback(err);
    }
  }

  /**
   * Handlers abandoned after their `handlerTimeout` that have not returned yet. JavaScript cannot
   * stop them, so they run beside the `concurrency` handlers of their consumer; a number that
   * keeps growing means handlers that hang for good.
   */
  get timedOutHandlers(): number {
    return this.runners.reduce((n, r) => n + (r instanceof ConsumerRunner ? r.timedOutRunning : 0), 0);
  }

  /**
   * Dead-letter subjects no stream captured at `listen()` (in `verify` and `off`; `create-or-update`
   * gives them a stream). Until one is created, failed messages wait in their streams.
   */
  get missingDeadLetterSubjects(): readonly string[] {
    return this.provisioner?.missingDeadLetterSubjects ?? [];
  }

  /** The handlers bound, with their streams and durables resolved (after `listen()`). */
  get bindings(): readonly HandlerBindingInfo[] {
    return this.runners.map((r) => r.info);
  }

  private async start(): Promise<void> {
    const plain = plainEventVerdict(this.plainPatterns, this.app);
    if (plain?.level === 'error') throw new JetStreamConfigError(plain.message);
    if (plain?.level === 'warn') this.logger.warn(plain.message);
    if (plain?.level === 'debug') this.logger.debug?.(plain.message);
    if (this.pending.length > 0 && this.options.serviceName === undefined) {
      throw new JetStreamConfigError(
        `JetStreamServer has ${this.pending.length} handler(s) but no serviceName. Durable names are derived from it (<serviceName>__<subject>), so two services left on one default would share, and split, one consumer without knowing. Set serviceName to this service's name, e.g. serviceName: 'billing'.`,
      );
    }
    const { nc, jsm, serverVersion } = await openConnection(this.options.connection, 'JetStreamServer');
    this.nc = nc;
    this.jsm = jsm;
    this._status$.next('connected');
    void watchConnection(nc, this._status$, this.listeners as EventListeners<ConnectionEvents>, 'JetStreamServer', () => this.closing, this.logger, this.#redact);
    this.js = jetstream(nc);
    const mode = this.options.provisioning ?? DEFAULTS.provisioning;
    this.provisioner = new Provisioner(jsm, mode, this.options.serviceName, this.#redact);
    await applyCheckpoints(this.pending, this.options.checkpoints);
    // A broadcast or ordered consumer belongs to this instance.
    for (const b of this.pending) if (b.mode === 'broadcast' || b.mode === 'ordered') b.durable = `${b.durable}_${this.instanceId}`;
    if (mode !== 'off') assertDeclaredTimingSupported(this.options.streams ?? [], serverVersion);
    // Before provisioning: a stream that would capture a request subject is not created or widened.
    await checkRequestSubjects(this, jsm, this.options, this.logger);
    const serviceName = this.options.serviceName;
    // Consumers left behind are reported (and pruned, when asked) once the streams exist, before the handlers' consumers.
    const leftBehind = serviceName === undefined ? undefined : async (resolved: HandlerBinding[]) => {
      const scan = await this.scanLeftBehind(resolved);
      await reportLeftBehind(jsm, scan, serviceName, mode, this.options.pruneConsumers === true, this.logger);
    };
    const bindings = await this.provisioner.provision(this.options.streams ?? [], this.pending, leftBehind);
    const healthTarget = this.health.storageTarget;
    if (mode === 'create-or-update' && healthTarget) {
      // The storage check's stream (health.storageWrite), so that identities that may not create streams find it there.
      const replicas = this.provisioner.replicasOf(bindings.map((b) => b.stream), this.options.streams ?? []);
      await this.health.provision(replicas).catch((err: unknown) => {
        throw provisioningServerError(`create the health stream ${healthTarget.stream}`, err);
      });
    }
    const deadLettering = bindings.filter((b) => b.deadLetter);
    if (deadLettering.length > 0) {
      const publisher = new Publisher(this.js, jsm, this.deadLetterPublish, this.instrumentations.publish);
      this.router = new DeadLetterRouter(publisher, (event) => this.listeners.emit('deadLetter', event), this.#redact);
      const advisories = this.options.deadLetterAdvisories ?? true;
      // The safety net watches the durables the service shares: a per-instance consumer's advisories
      // would reach another instance, and its name changes every boot.
      const watched = deadLettering.filter((b) => b.mode === 'shared' || b.mode === 'push');
      if (advisories !== false && watched.length > 0) {
        const stream = advisoryStreamName(this.options.serviceName ?? DEFAULTS.serviceName);
        // The safety net must survive what the streams it protects survive: at least their replicas.
        const replicas = (advisories === true ? undefined : advisories.replicas) ?? this.provisioner.replicasOf(watched.map((b) => b.stream), this.options.streams ?? []);
        this.advisories = new AdvisoryWatcher(stream, watched, this.js, jsm, this.router, (event) => this.listeners.emit('deadLetterLost', event), this.#redact);
        await this.advisories.start(mode, replicas);
      }
    }
    this.stopIdempotency = await startIdempotency(this.options.idempotency, bindings, this.logger);
    const listeners = this.listeners;
    // What every runner is handed: nothing in it goes back through a member of this server.
    this.#wiring = runnerWiring({
      logger: this.logger,
      codec: this.options.codec ?? new JsonCodec(),
      termReasonSupported: versionAtLeast(serverVersion, TERM_REASON_MIN_SERVER),
      redact: this.#redact,
      deadLetters: this.router,
      emit: { terminated: (e) => listeners.emit('terminated', e), deadLetterLost: (e) => listeners.emit('deadLetterLost', e) },
      advisoriesOn: this.advisories !== undefined,
      consumeObserver: this.instrumentations.consume,
      processingHooks: this.#processingHooks,
      js: this.js,
      provisioner: this.provisioner,
    });
    for (const b of bindings) {
      const runner = createRunner(b, this.#wiring, this.js, jsm);
      await runner.start();
      this.runners.push(runner);
      const via = b.invocation === 'direct' ? 'called directly' : `through Nest's pipeline: ${b.pipelineReason ?? ''}`;
      const as = b.mode === 'shared' ? `durable ${b.durable}` : b.mode === 'push' ? `push consumer ${b.durable} (queue group)` : `${b.mode} consumer ${b.durable}`;
      this.logger.log(`Consuming "${b.subject}" from ${b.stream} as ${as} (concurrency ${b.concurrency}; ${via})`);
    }
    await this.instrumentations.attach({
      role: 'server',
      serviceName: this.options.serviceName ?? DEFAULTS.serviceName,
      connection: nc,
      jsm,
      handlers: bindings.map(({ subject, stream, durable }) => ({ subject, stream, durable })),
      streams: [...new Set([...(this.options.streams ?? []).map((s) => s.name), ...bindings.map((b) => b.stream)])],
      status: this.status,
      on: <K extends keyof InstrumentationEvents>(event: K, listener: (payload: InstrumentationEvents[K]) => void) =>
        this.listeners.add(event, listener as JetStreamServerEvents[K]),
    });
  }

  /** Stops pulling, lets running handlers finish (up to `shutdownTimeout`) and settle, then drains the connection. */
  async close(): Promise<void> {
    this.closing = true;
    const timeout = this.shutdownTimeoutMs;
    const runners = this.runners;
    this.runners = [];
    const closing = [...runners, ...this.replays];
    const report = this.nc ? new ShutdownReport(this.logger, closing, timeout) : undefined;
    await Promise.all(closing.map((r) => r.close(timeout)));
    report?.handlersDone();
    this.stopIdempotency?.();
    if (this.jsm) await removeInstanceConsumers(this.jsm, runners);
    await this.advisories?.close();
    this.advisories = undefined;
    await this.instrumentations.detach();
    const nc = this.nc;
    this.nc = undefined;
    if (nc && !nc.isClosed()) {
      await nc.drain().catch(() => nc.close());
    }
    for (const release of this.patches) release();
    report?.closed();
    this.closed = true;
    this._status$.next('closed');
  }

  override on<K extends keyof JetStreamServerEvents = keyof JetStreamServerEvents, C extends JetStreamServerEvents[K] = JetStreamServerEvents[K]>(
    event: K,
    callback: C,
  ): void {
    this.listeners.add(event, callback);
  }

  /** The `NatsConnection`. Throws before `listen()` has connected. */
  unwrap<T = NatsConnection>(): T {
    if (!this.nc) throw new JetStreamNotListeningError('JetStreamServer.unwrap()', this.closed);
    return this.nc as T;
  }

  /**
   * Replays a range of a stream through the handler bound to `subject` (after `listen()`), on an
   * ordered consumer of its own: the app's durable consumers are not touched. The handler's
   * retries, poison errors and dead-letter route apply; see docs/delivery-modes.md.
   */
  async replay(subject: string, options: ReplayOptions): Promise<ReplayResult> {
    if (!this.js || !this.jsm) throw new JetStreamNotListeningError('JetStreamServer.replay()', this.closed);
    if (!this.#wiring) throw new JetStreamNotListeningError('JetStreamServer.replay()', this.closed);
    return replay(this.js, this.jsm, this.runners.map((r) => r.binding), subject, this.#wiring, options, this.replays);
  }

}
