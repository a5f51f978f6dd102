import type { NamedConnectionsOption } from '../interfaces/named-connections.interface.js';
import { headers } from '@nats-io/nats-core';
import { publishObserverFor } from '../observability/combine-observers.js';
import { ConnectionUnavailableError, DEFAULT_CONNECTION_NAME, UnknownConnectionError } from './connection-errors.js';
import { NamedConnection, type ConnectionPublishers, type NamedConnectionDeps, type NamedConnectionState } from './named-connection.js';

/** One connection in `JetStreamConnections.report()`. */
export interface ConnectionReport {
  readonly name: string;
  readonly critical: boolean;
  readonly state: NamedConnectionState;
  /** Why it is not up, when it is not and the reason is known. */
  readonly message?: string;
}

/** The connections of a client: `up` all up; `degraded` only non-critical ones not up; `down` a critical one not up. */
export interface ConnectionsReport {
  readonly status: 'up' | 'degraded' | 'down';
  readonly connections: readonly ConnectionReport[];
}

/**
 * The named connections of a client (the `connections` option) besides its default one.
 * Empty for an app with one connection: its publishes never come here.
 */
export class JetStreamConnections {
  private readonly named = new Map<string, NamedConnection>();

  constructor(
    option: NamedConnectionsOption['connections'],
    deps: NamedConnectionDeps,
    /** The default connection's state, as the client knows it. */
    private readonly defaultState: () => NamedConnectionState,
  ) {
    for (const [name, o] of Object.entries(option ?? {})) {
      // Its publishes are observed under its name (the metrics' `connection` label).
      this.named.set(name, new NamedConnection(name, o, { ...deps, observer: publishObserverFor(deps.observer, name) }));
    }
  }

  /** The names publishes and handlers may choose: `default` and the declared ones. */
  get names(): readonly string[] {
    return [DEFAULT_CONNECTION_NAME, ...this.named.keys()];
  }

  /** Whether any named connection is declared. */
  get any(): boolean {
    return this.named.size > 0;
  }

  /** The named connection `name` (never the default one). */
  get(name: string): NamedConnection | undefined {
    return this.named.get(name);
  }

  /** Throws `UnknownConnectionError` (naming `where` and the known names) unless `name` is known. */
  assertKnown(name: string, where: string): void {
    if (name !== DEFAULT_CONNECTION_NAME && !this.named.has(name)) throw new UnknownConnectionError(name, where, this.names);
  }

  /** Connects the critical ones (throws when one cannot) and starts the others in the background. */
  async start(): Promise<void> {
    await Promise.all([...this.named.values()].map((c) => c.start()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.named.values()].map((c) => c.close()));
  }

  /** The publishers of a named connection; `ConnectionUnavailableError` when it is not up, `UnknownConnectionError` when not declared. */
  publishers(name: string, subject: string): ConnectionPublishers {
    const c = this.named.get(name);
    if (!c) throw new UnknownConnectionError(name, `The publish of ${subject}`, this.names);
    const publishers = c.publishers;
    if (publishers) return publishers;
    const why =
      c.state === 'connecting'
        ? `it has not connected yet${c.error ? ` (${c.error.message})` : ''}`
        : c.state === 'down'
          ? 'it lost its NATS server and is reconnecting'
          : 'it is closed';
    const err = new ConnectionUnavailableError(name, subject, why, { cause: c.error });
    // Counted as a failed publish of that connection (metrics, a failed span), though nothing was sent.
    c.observer?.finished(
      c.observer.started(subject, '', () => headers(), name),
      undefined,
      err,
    );
    throw err;
  }

  /** Each connection's state, the default first, and the overall status. */
  report(): ConnectionsReport {
    const connections: ConnectionReport[] = [
      { name: DEFAULT_CONNECTION_NAME, critical: true, state: this.defaultState() },
      ...[...this.named.values()].map((c) => ({
        name: c.name,
        critical: c.critical,
        state: c.state,
        ...(c.state !== 'up' && c.error ? { message: c.error.message } : {}),
      })),
    ];
    const notUp = connections.filter((c) => c.state !== 'up');
    const status = notUp.length === 0 ? 'up' : notUp.some((c) => c.critical) ? 'down' : 'degraded';
    return { status, connections };
  }
}
