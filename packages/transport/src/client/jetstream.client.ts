import type { JetStreamManager, PubAck } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { Observable, throwError } from 'rxjs';
import type { JetStreamCodec } from '../codecs/codec.interface.js';
import { JsonCodec } from '../codecs/json.codec.js';
import { CLIENT_CLOSE_REPORT_AFTER_MS, DEFAULTS } from '../constants.js';
import { whenSlow } from '../connection/connection-log.js';
import { validateOptions } from '../config/validate-options.js';
import { Provisioner } from '../provisioning/provisioner.js';
import { JetStreamHealth } from '../health/jetstream-health.js';
import { openConnection } from '../connection/open-connection.js';
import { JetStreamNotListeningError } from '../errors/jetstream-transport.error.js';
import { EncodeError, RequestReplyNotSupportedError } from '../errors/publish.errors.js';
import type { JetStreamClientOptions } from '../interfaces/jetstream-options.interface.js';
import { JetStreamRecord, type JetStreamPublishOptions } from '../record-builders/jetstream.record-builder.js';
import { EventListeners, watchConnection, type ConnectionEvents, type JetStreamStatus } from '../connection/connection-events.js';
import { resolvePublishDefaults, type PublisherDefaults } from '../publishing/publisher.js';
import type { BatchPubAck, EncodedBatchMessage } from '../publishing/batch-publisher.js';
import type { BatchMessage } from '../publishing/batch-message.js';
import { resolveFastBatchOptions, type FastBatchAck } from '../publishing/fast-batch-publisher.js';
import type { FastBatchOptions } from '../interfaces/fast-batch-options.interface.js';
import { FAST_BATCH_OPTIONS } from '../config/option-tables.js';
import { checkOptionObject } from '../config/option-checks.js';
import { toMillis, type Duration } from '../utils/duration.js';
import { Instrumentations } from '../observability/instrumentations.js';
import { assertDeclaredTimingSupported } from '../message-timing/timing-streams.js';
import type { ConnectionStateEvent, InstrumentationEvents } from '../observability/instrumentation.interface.js';
import { createRedactor, type Redactor } from '../security/redact.js';
import { RedactingLogger } from '../security/redacting-logger.js';
import { publishCheckOf, type PublishCheck } from '../schemas/publish-validation.js';
import { JetStreamConnections } from '../connections/connection-registry.js';
import { DEFAULT_CONNECTION_NAME } from '../connections/connection-errors.js';
import { connectionPublishers, stateOfStatus, type ConnectionPublishers } from '../connections/named-connection.js';
import { streamsOn } from '../connections/streams-by-connection.js';
import { JetStreamConnectionClient } from './jetstream-connection.client.js';

/** Events of `JetStreamClient.on()`. */
export type JetStreamClientEvents = ConnectionEvents;

/**
 * Publishes events to JetStream. `emit()` is Nest's fire-and-observe API (an Observable of
 * the PubAck); `publish()` is the same as a Promise with per-message options. Concurrent
 * publishes are pipelined on one connection. Request/reply stays with `Transport.NATS`.
 */
export class JetStreamClient extends ClientProxy<JetStreamClientEvents, JetStreamStatus> {
  private readonly codec: JetStreamCodec;
  /** The check of `contract.publishes` entries with `validate: true`; undefined (nothing paid) without one. */
  private readonly publishCheck: PublishCheck | undefined;
  private connecting?: Promise<NatsConnection>;
  private nc?: NatsConnection;
  private jsm?: JetStreamManager;
  private lastStatus?: JetStreamStatus;
  private closedError?: Error;
  /** Liveness and readiness of a publisher: connection, storage writable, leaders of its declared streams. */
  readonly health: JetStreamHealth;
  /** The named connections (the `connections` option): `report()` says which are up (`degraded` when only non-critical ones are not). */
  readonly connections: JetStreamConnections;
  /** The default connection's publishers, made at connect. */
  private publishers?: ConnectionPublishers;
  /** Metrics following the named connections' states (`connectionState`). */
  private readonly connectionStateListeners: ((e: ConnectionStateEvent) => void)[] = [];
  private readonly publishDefaults: PublisherDefaults;
  private readonly instrumentations: Instrumentations;
  /** Set by close(); a later publish or connect() connects again. */
  private closed = false;
  private closing = false;
  /** Removes this client's credentials (and any recognisable secret) from what it logs or reports. */
  private readonly redact: Redactor;
  private readonly logger: RedactingLogger;
  private readonly listeners = new EventListeners<JetStreamClientEvents>((event, err) => this.logger.error(`A "${event}" listener threw: ${String(err)}`));

  constructor(private readonly options: JetStreamClientOptions = {}) {
    super();
    this.redact = createRedactor(options.connection);
    this.logger = RedactingLogger.for('JetStreamClient', this.redact);
    validateOptions(options, 'JetStreamClient');
    this.codec = options.codec ?? new JsonCodec();
    this.publishCheck = publishCheckOf(options.contract);
    this.publishDefaults = resolvePublishDefaults(options.publish);
    this.instrumentations = new Instrumentations(options);
    this.status.subscribe((status) => (this.lastStatus = status));
    this.listeners.add('closed', (err) => (this.closedError = err));
    this.connections = new JetStreamConnections(
      options.connections,
      {
        who: 'JetStreamClient',
        publishDefaults: this.publishDefaults,
        observer: this.instrumentations.publish,
        logger: this.logger,
        redact: this.redact,
        onState: (connection, state, reconnected) => {
          for (const l of this.connectionStateListeners) l({ connection, up: state === 'up', reconnected });
        },
      },
      () => stateOfStatus(this.lastStatus),
    );
    this.health = new JetStreamHealth(
      {
        who: 'JetStreamClient',
        redact: this.redact,
        serviceName: options.serviceName ?? DEFAULTS.serviceName,
        provisioning: options.provisioning ?? DEFAULTS.provisioning,
        connection: () => (this.nc && this.jsm ? { nc: this.nc, jsm: this.jsm } : undefined),
        status: () => this.lastStatus,
        closedReason: () => this.closedError,
        consumers: () => [],
        streams: () => streamsOn(options.streams, DEFAULT_CONNECTION_NAME).map(({ name }) => ({ name })),
        deadLetterSubjects: () => [],
        missingDeadLetterSubjects: () => [],
        namedConnections: () => (this.connections.any ? this.connections.report() : undefined),
      },
      options.health,
    );
  }

  /** Connects once (later calls share the connection); fails with a `JetStreamConnectionError` that says what to fix. */
  connect(): Promise<NatsConnection> {
    this.closed = false;
    this.closing = false;
    this.connecting ??= this.open().catch((err: unknown) => {
      this.connecting = undefined;
      throw err;
    });
    return this.connecting;
  }

  /** Waits for in-flight publishes, then closes the connection. */
  async close(): Promise<void> {
    this.closing = true;
    const pending = this.connecting;
    this.connecting = undefined;
    this.publishers = undefined;
    const nc = this.nc ?? (await pending?.catch(() => undefined));
    this.nc = undefined;
    if (this.connections.any) await this.connections.close();
    await this.instrumentations.detach();
    this.connectionStateListeners.length = 0;
    if (nc && !nc.isClosed()) {
      // Quiet when it is quick (a script's close); said when it waits.
      await whenSlow(
        nc.drain().catch(() => nc.close()),
        CLIENT_CLOSE_REPORT_AFTER_MS,
        (ms) => this.logger.log(`Closing: still draining the NATS connection after ${ms} ms (publishes in flight wait for their PubAck)`),
        (ms) => this.logger.log(`Closed after ${ms} ms`),
      );
    }
    this.closed = true;
    this._status$.next('closed');
  }

  /** Emits an event; the Observable yields the PubAck (`duplicate: true` when the msgId was seen before). */
  override emit<TResult = PubAck, TInput = unknown>(pattern: string, data: TInput | JetStreamRecord<TInput>): Observable<TResult> {
    // Hot like Nest's own emit (it publishes whether or not anyone subscribes), without its
    // defer/mergeMap/connectable chain per message.
    if (pattern === undefined || pattern === null || data === undefined || data === null) {
      return throwError(
        () => new EncodeError(String(pattern), { cause: new TypeError('emit() needs a subject and data (null and undefined cannot be sent)') }),
      );
    }
    const packet: ReadPacket = typeof this.createPacket === 'function' ? this.createPacket(pattern, data) : { pattern, data };
    const sent = this.dispatchEvent<TResult>(packet);
    sent.catch(() => undefined); // an emit nobody subscribes to must not be an unhandled rejection
    return new Observable<TResult>((subscriber) => {
      sent.then(
        (ack) => {
          subscriber.next(ack);
          subscriber.complete();
        },
        (err: unknown) => subscriber.error(err),
      );
    });
  }

  /** Request/reply is not a JetStream feature: this throws and says to use `Transport.NATS`. */
  override send<TResult = never, TInput = unknown>(pattern: unknown, _data: TInput): Observable<TResult> {
    throw new RequestReplyNotSupportedError(String(this.normalizePattern(pattern as string)));
  }

  /** Publishes `data` to `subject` and resolves with the PubAck. */
  override publish(subject: string, data: unknown, options?: JetStreamPublishOptions): Promise<PubAck>;
  /**
   * Nest's request/reply entry point (what `ClientProxy#send()` calls): JetStream has no
   * request/reply, so it throws `RequestReplyNotSupportedError`. It stays in the type only because
   * `ClientProxy` declares it; use `publish(subject, data, options)`.
   */
  override publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void;
  override publish(subjectOrPacket: string | ReadPacket, data?: unknown, options?: JetStreamPublishOptions): Promise<PubAck> | (() => void) {
    if (typeof subjectOrPacket !== 'string') throw new RequestReplyNotSupportedError(String(subjectOrPacket.pattern));
    // NestJS 12's dispatch hook (CLS, tracing) runs for publish() as for emit(); only when one is set
    // (NestJS 11 has none).
    const metadata = this.onDispatchHook ? this.createPacket(subjectOrPacket, data).metadata : undefined;
    return this.publishMessage(subjectOrPacket, data, options ?? {}, metadata);
  }

  /**
   * Publishes `messages` as one atomic batch: the stream stores all of them or none (nats-server
   * 2.12+, a stream with `allowAtomic: true` capturing every subject, at most 1000 messages). Each
   * message keeps its `msgId` (a random one when absent) and its `expect`s; a failure is a typed
   * `BatchPublishError` (`BatchTooLargeError`, `BatchMixedStreamsError`, `BatchExpectationFailedError`,
   * `BatchDuplicateMsgIdError`, `BatchUnsupportedError`, `BatchRejectedError`) and nothing was stored.
   * Not retried: a timeout leaves the outcome unknown (see docs/batch-publish.md).
   */
  async publishBatch(messages: readonly BatchMessage[], options: { timeout?: Duration; connection?: string } = {}): Promise<BatchPubAck> {
    const timeoutMs = options.timeout === undefined ? this.publishDefaults.timeoutMs : toMillis(options.timeout, 'publishBatch timeout');
    if (this.publishCheck && Array.isArray(messages)) for (const { subject, data } of messages) await this.publishCheck(subject, data);
    const encoded: EncodedBatchMessage[] = (Array.isArray(messages) ? messages : []).map(({ subject, data, ...rest }) => {
      try {
        return { subject, payload: this.codec.encode(data, subject), options: rest };
      } catch (cause) {
        throw new EncodeError(subject, { cause });
      }
    });
    const subject = encoded[0]?.subject ?? 'a batch';
    const route = this.route(options.connection, subject) ?? (await this.connect().then(() => this.route(options.connection, subject)));
    if (!route) throw new JetStreamNotListeningError('JetStreamClient.publishBatch()');
    return route.batchPublisher.publish(encoded, timeoutMs);
  }

  /**
   * This client bound to connection `name` (`default` or one of the `connections` option): its
   * publishes go through that connection. Throws `UnknownConnectionError` for an undeclared name.
   */
  forConnection(name: string): JetStreamConnectionClient {
    this.connections.assertKnown(name, `JetStreamClient.forConnection("${name}")`);
    return new JetStreamConnectionClient(this, name);
  }

  /**
   * Publishes `messages` (an array, or an async iterable for a producer that makes them as it goes)
   * as one fast-ingest batch: paced by the server's flow acks, NOT atomic (a failure leaves the
   * messages before it stored; `FastBatchError.sent` says how many were sent). nats-server 2.14+, a
   * stream with `allowBatched: true` capturing every subject; no limit on the count. msgIds are
   * honoured (a duplicate is skipped). Options over `publish.fastBatch`; `connection` chooses a named
   * connection (default: the default one), as for `publishBatch()`. See docs/batch-publish.md.
   */
  async publishFastBatch(
    messages: Iterable<BatchMessage> | AsyncIterable<BatchMessage>,
    options: FastBatchOptions & { connection?: string } = {},
  ): Promise<FastBatchAck> {
    const { connection, ...batch } = options;
    checkOptionObject(batch, FAST_BATCH_OPTIONS, 'JetStreamClient.publishFastBatch()');
    const resolved = resolveFastBatchOptions(this.options.publish?.fastBatch, batch, this.publishDefaults.timeoutMs);
    const route = this.route(connection, 'a fast batch') ?? (await this.connect().then(() => this.route(connection, 'a fast batch')));
    if (!route) throw new JetStreamNotListeningError('JetStreamClient.publishFastBatch()');
    return route.fastBatchPublisher.publish(this.encodeEach(messages), resolved);
  }

  private async *encodeEach(messages: Iterable<BatchMessage> | AsyncIterable<BatchMessage>): AsyncGenerator<EncodedBatchMessage> {
    for await (const { subject, data, ...rest } of messages) {
      if (this.publishCheck) await this.publishCheck(subject, data);
      try {
        yield { subject, payload: this.codec.encode(data, subject), options: rest };
      } catch (cause) {
        throw new EncodeError(subject, { cause });
      }
    }
  }

  override on<K extends keyof JetStreamClientEvents = keyof JetStreamClientEvents, C extends JetStreamClientEvents[K] = JetStreamClientEvents[K]>(
    event: K,
    callback: C,
  ): void {
    this.listeners.add(event, callback);
  }

  /** The `NatsConnection`. Throws before `connect()` has resolved. */
  unwrap<T = NatsConnection>(): T {
    if (!this.nc) throw new JetStreamNotListeningError('JetStreamClient.unwrap()', this.closed);
    return this.nc as T;
  }

  protected dispatchEvent<T = PubAck>(packet: ReadPacket): Promise<T> {
    const subject = this.normalizePattern(packet.pattern);
    const { data } = packet;
    const record = data instanceof JetStreamRecord ? data : undefined;
    return this.publishMessage(subject, record ? record.data : data, record?.options ?? {}, packet.metadata) as Promise<T>;
  }

  private publishMessage(subject: string, data: unknown, options: JetStreamPublishOptions, metadata?: Record<string, string>): Promise<PubAck> {
    if (this.publishCheck) {
      let checked: void | Promise<void>;
      try {
        checked = this.publishCheck(subject, data);
      } catch (err) {
        return Promise.reject(err);
      }
      if (checked) return checked.then(() => this.encodeAndPublish(subject, data, options, metadata));
    }
    return this.encodeAndPublish(subject, data, options, metadata);
  }

  private encodeAndPublish(subject: string, data: unknown, options: JetStreamPublishOptions, metadata?: Record<string, string>): Promise<PubAck> {
    let payload: Uint8Array;
    try {
      payload = this.codec.encode(data, subject);
    } catch (cause) {
      return Promise.reject(new EncodeError(subject, { cause }));
    }
    const meta = metadata && Object.keys(metadata).length > 0 ? metadata : undefined;
    let route: ConnectionPublishers | undefined;
    try {
      route = this.route(options.connection, subject);
    } catch (err) {
      return Promise.reject(err);
    }
    if (route) return route.publisher.publish(subject, payload, options, meta);
    return this.connect().then(() => {
      const connected = this.route(options.connection, subject);
      if (!connected) throw new JetStreamNotListeningError('JetStreamClient.publish()');
      return connected.publisher.publish(subject, payload, options, meta);
    });
  }

  /**
   * The publishers of connection `name` (undefined: the default one); undefined before `connect()`.
   * A named one must be declared (`UnknownConnectionError`) and up now (`ConnectionUnavailableError`:
   * nothing is queued for one that is down).
   */
  private route(name: string | undefined, subject: string): ConnectionPublishers | undefined {
    if (!this.publishers) return undefined;
    return name === undefined || name === DEFAULT_CONNECTION_NAME ? this.publishers : this.connections.publishers(name, subject);
  }

  private async open(): Promise<NatsConnection> {
    const { nc, jsm, serverVersion } = await openConnection(this.options.connection, 'JetStreamClient', this.options.domain);
    // A publisher-only service declares its streams too: provision them as the server would.
    const mode = this.options.provisioning ?? DEFAULTS.provisioning;
    try {
      // The streams declared for a named connection are provisioned through it (by the server), never here.
      const streams = streamsOn(this.options.streams, DEFAULT_CONNECTION_NAME);
      if (mode !== 'off') assertDeclaredTimingSupported(streams, serverVersion);
      await new Provisioner(jsm, mode, undefined, this.redact).provisionStreams(streams);
      // Critical named connections connect now (or fail the connect); the others in the background.
      if (this.connections.any) await this.connections.start();
    } catch (err) {
      if (this.connections.any) await this.connections.close();
      await nc.close().catch(() => undefined);
      throw err;
    }
    this.nc = nc;
    this.jsm = jsm;
    this.publishers = connectionPublishers({ nc, jsm }, this.publishDefaults, this.instrumentations.publish, this.options.connection?.inboxPrefix);
    this._status$.next('connected');
    void watchConnection(nc, this._status$, this.listeners, 'JetStreamClient', () => this.closing, this.logger, this.redact);
    await this.instrumentations.attach({
      role: 'client',
      serviceName: this.options.serviceName ?? DEFAULTS.serviceName,
      connection: nc,
      jsm,
      handlers: [],
      streams: (this.options.streams ?? []).map((s) => s.name),
      status: this.status,
      on: <K extends keyof InstrumentationEvents>(event: K, listener: (payload: InstrumentationEvents[K]) => void) => {
        if (event === 'reconnect' || event === 'disconnect') this.listeners.add(event, listener as JetStreamClientEvents['reconnect']);
      },
      onConnectionState: (listener) => {
        // The current states first: critical ones came up before this attach.
        for (const c of this.connections.report().connections.slice(1)) listener({ connection: c.name, up: c.state === 'up', reconnected: false });
        this.connectionStateListeners.push(listener);
      },
    });
    return nc;
  }
}
