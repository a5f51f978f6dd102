import type { PubAck } from '@nats-io/jetstream';
import type { Observable } from 'rxjs';
import type { ConnectionReport, ConnectionsReport } from '../connections/connection-registry.js';
import type { BatchPubAck } from '../publishing/batch-publisher.js';
import type { BatchMessage } from '../publishing/batch-message.js';
import type { FastBatchAck } from '../publishing/fast-batch-publisher.js';
import type { FastBatchOptions } from '../interfaces/fast-batch-options.interface.js';
import { JetStreamRecord, type JetStreamPublishOptions } from '../record-builders/jetstream.record-builder.js';
import type { Duration } from '../utils/duration.js';

/** What it uses of the `JetStreamClient` it is bound to (named here: the client makes it). */
export interface ConnectionClientHost {
  publish(subject: string, data: unknown, options?: JetStreamPublishOptions): Promise<PubAck>;
  emit<TResult = PubAck, TInput = unknown>(pattern: string, data: TInput | JetStreamRecord<TInput>): Observable<TResult>;
  publishBatch(messages: readonly BatchMessage[], options?: { timeout?: Duration; connection?: string }): Promise<BatchPubAck>;
  publishFastBatch(messages: Iterable<BatchMessage> | AsyncIterable<BatchMessage>, options?: FastBatchOptions & { connection?: string }): Promise<FastBatchAck>;
  connect(): Promise<unknown>;
  readonly connections: { report(): ConnectionsReport };
}

/**
 * A `JetStreamClient` bound to one of its connections (`client.forConnection('eu')`, or injected
 * with `@InjectJetStreamClient('eu')`): every publish goes through that connection, with the
 * client's codec, contract checks, defaults and metrics. It shares the client's connections (no
 * connection of its own): the client connects and closes them. Publishing while the connection is
 * down fails with `ConnectionUnavailableError` naming it; nothing is queued.
 */
export class JetStreamConnectionClient {
  constructor(
    private readonly client: ConnectionClientHost,
    /** The connection's name, as in the `connections` option (`default`: the `connection` option's). */
    readonly connection: string,
  ) {}

  /** `JetStreamClient.publish()` through this connection. */
  publish(subject: string, data: unknown, options: Omit<JetStreamPublishOptions, 'connection'> = {}): Promise<PubAck> {
    return this.client.publish(subject, data, { ...options, connection: this.connection });
  }

  /** `JetStreamClient.emit()` through this connection (a `JetStreamRecord`'s options are kept). */
  emit<TInput = unknown>(subject: string, data: TInput | JetStreamRecord<TInput>): Observable<PubAck> {
    const record = data instanceof JetStreamRecord ? data : new JetStreamRecord(data);
    return this.client.emit<PubAck>(subject, new JetStreamRecord(record.data, { ...record.options, connection: this.connection }));
  }

  /** `JetStreamClient.publishBatch()` through this connection. */
  publishBatch(messages: readonly BatchMessage[], options: { timeout?: Duration } = {}): Promise<BatchPubAck> {
    return this.client.publishBatch(messages, { ...options, connection: this.connection });
  }

  /** `JetStreamClient.publishFastBatch()` through this connection. */
  publishFastBatch(messages: Iterable<BatchMessage> | AsyncIterable<BatchMessage>, options: FastBatchOptions = {}): Promise<FastBatchAck> {
    return this.client.publishFastBatch(messages, { ...options, connection: this.connection });
  }

  /** Connects the client (all its connections, the non-critical ones in the background). */
  async connect(): Promise<void> {
    await this.client.connect();
  }

  /** This connection's state now, as in `client.connections.report()`. */
  report(): ConnectionReport {
    const found = this.client.connections.report().connections.find((c) => c.name === this.connection);
    // The constructor checked the name (forConnection), so it is there.
    return found as ConnectionReport;
  }
}
