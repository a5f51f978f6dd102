import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { LoggerService } from '@nestjs/common';
import { openConnection, type OpenConnection } from '../connection/open-connection.js';
import type { NamedConnectionOptions } from '../interfaces/named-connections.interface.js';
import type { PublishObserver } from '../observability/instrumentation.interface.js';
import { BatchPublisher } from '../publishing/batch-publisher.js';
import { FastBatchPublisher } from '../publishing/fast-batch-publisher.js';
import { StreamLookup } from '../publishing/stream-lookup.js';
import { Publisher, type PublisherDefaults } from '../publishing/publisher.js';
import { redactErrorChain, type Redactor } from '../security/redact.js';
import { NAMED_CONNECTION_RETRY_MS } from './connections.constants.js';

/** `connecting`: not connected yet (a non-critical one retries in the background); `down`: lost, reconnecting. */
export type NamedConnectionState = 'connecting' | 'up' | 'down' | 'closed';

/** What a named connection needs from its owner. */
export interface NamedConnectionDeps {
  readonly who: string;
  readonly publishDefaults: PublisherDefaults;
  readonly observer?: PublishObserver;
  readonly logger: LoggerService;
  readonly redact: Redactor;
  /** Told each change of a connection's state (metrics follow it); `reconnected` on a reconnect. */
  readonly onState?: (connection: string, state: NamedConnectionState, reconnected: boolean) => void;
}

/** What publishes through one connection: single messages, atomic batches and fast-ingest batches. */
export interface ConnectionPublishers {
  readonly publisher: Publisher;
  readonly batchPublisher: BatchPublisher;
  readonly fastBatchPublisher: FastBatchPublisher;
}

/** The publishers of one connection (the default one's in JetStreamClient, a named one's here), sharing one stream lookup. */
export function connectionPublishers(
  opened: Pick<OpenConnection, 'nc' | 'jsm'>,
  defaults: PublisherDefaults,
  observer: PublishObserver | undefined,
  inboxPrefix: string | undefined,
): ConnectionPublishers {
  const { nc, jsm } = opened;
  const version = () => nc.info?.version;
  const lookup = new StreamLookup(jsm);
  return {
    publisher: new Publisher(jetstream(nc), jsm, defaults, observer, version),
    batchPublisher: new BatchPublisher(nc, lookup, defaults.timeoutMs, version, observer),
    fastBatchPublisher: new FastBatchPublisher(nc, lookup, version, inboxPrefix, observer),
  };
}

/** One named connection: opened, watched (up/down) and closed; its own publishers. */
export class NamedConnection {
  private nc?: NatsConnection;
  private opened?: OpenConnection;
  private publishersOf?: ConnectionPublishers;
  private readonly upListeners: ((open: OpenConnection) => void)[] = [];
  private stateOf: NamedConnectionState = 'connecting';
  private lastError?: Error;
  private retry?: { timer: NodeJS.Timeout; wake: () => void };
  private closing = false;
  private opening?: Promise<void>;

  constructor(
    readonly name: string,
    private readonly options: NamedConnectionOptions,
    private readonly deps: NamedConnectionDeps,
  ) {}

  /** Its publishes' observer (metrics, tracing), telling its name; undefined without instrumentation. */
  get observer(): PublishObserver | undefined {
    return this.deps.observer;
  }

  get critical(): boolean {
    return this.options.critical !== false;
  }

  get state(): NamedConnectionState {
    return this.stateOf;
  }

  /** Why it is not up (the last connect error), for reports. */
  get error(): Error | undefined {
    return this.lastError;
  }

  /** Its publishers while it is up; undefined otherwise. */
  get publishers(): ConnectionPublishers | undefined {
    return this.stateOf === 'up' ? this.publishersOf : undefined;
  }

  /** The JetStream domain its JetStream API calls go to, if set. */
  get domain(): string | undefined {
    return this.options.domain;
  }

  /** Calls `listener` once it has connected (at once when it already has); the first time only, as nats.js reconnects by itself after. */
  onceUp(listener: (open: OpenConnection) => void): void {
    if (this.opened) listener(this.opened);
    else this.upListeners.push(listener);
  }

  /** Critical: connects or throws. Non-critical: starts connecting in the background and returns at once. */
  start(): Promise<void> {
    this.closing = false;
    if (this.critical) return (this.opening ??= this.openOnce());
    this.opening ??= this.openInBackground();
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.retry) {
      clearTimeout(this.retry.timer);
      this.retry.wake();
    }
    await this.opening?.catch(() => undefined);
    this.opening = undefined;
    const nc = this.nc;
    this.nc = undefined;
    this.opened = undefined;
    this.upListeners.length = 0;
    this.publishersOf = undefined;
    this.setState('closed');
    if (nc && !nc.isClosed()) await nc.drain().catch(() => nc.close());
  }

  private async openOnce(): Promise<void> {
    const opened = await openConnection(this.options.connection, `${this.deps.who} (connection "${this.name}")`, this.options.domain);
    const { nc } = opened;
    if (this.closing) {
      await nc.close().catch(() => undefined);
      return;
    }
    this.nc = nc;
    this.opened = opened;
    this.publishersOf = connectionPublishers(opened, this.deps.publishDefaults, this.deps.observer, this.options.connection.inboxPrefix);
    this.setState('up');
    this.lastError = undefined;
    void this.watch(nc);
    for (const listener of this.upListeners.splice(0)) listener(opened);
  }

  private async openInBackground(): Promise<void> {
    while (!this.closing) {
      try {
        await this.openOnce();
        return;
      } catch (err) {
        const first = this.lastError === undefined;
        this.lastError = redactErrorChain(err instanceof Error ? err : new Error(String(err)), this.deps.redact);
        if (first) this.deps.logger.warn?.(`${this.lastError.message} It is not critical: retrying every ${NAMED_CONNECTION_RETRY_MS} ms in the background.`);
        await new Promise<void>((wake) => (this.retry = { timer: setTimeout(wake, NAMED_CONNECTION_RETRY_MS), wake }));
        this.retry = undefined;
      }
    }
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        this.setState('down');
        if (!this.closing) this.deps.logger.warn?.(`Connection "${this.name}" lost its NATS server; reconnecting (publishing through it fails until then).`);
      } else if (s.type === 'reconnect') {
        this.setState('up', true);
        this.deps.logger.log(`Connection "${this.name}" reconnected.`);
      }
    }
    if (!this.closing) this.setState('closed');
  }

  private setState(state: NamedConnectionState, reconnected = false): void {
    this.stateOf = state;
    this.deps.onState?.(this.name, state, reconnected);
  }
}

/** The default connection's state from the client's status. */
export function stateOfStatus(status: 'connected' | 'disconnected' | 'reconnecting' | 'closed' | undefined): NamedConnectionState {
  if (status === undefined) return 'connecting';
  if (status === 'connected') return 'up';
  return status === 'closed' ? 'closed' : 'down';
}
