import type { RecoveryEvent } from '../connection/leader-guard.js';
import type { JetStreamManager, PubAck } from '@nats-io/jetstream';
import type { MsgHdrs, NatsConnection } from '@nats-io/nats-core';
import type { Observable } from 'rxjs';
import type { JetStreamStatus } from '../connection/connection-events.js';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';
import type { DeadLetterEvent, DeadLetterLostEvent, TerminatedMessageEvent } from '../events/settle.events.js';

/**
 * How a message left its handler's consumer: `ack`, `nak` (redelivered later, shutdown
 * included), `term` (for good, no dead-letter route) or `dead_letter` (published to its
 * dead-letter subject, then terminated).
 */
export type SettleOutcome = 'ack' | 'nak' | 'term' | 'dead_letter';

/** One bound handler, as instrumentation sees it. */
export interface InstrumentedHandler {
  readonly subject: string;
  readonly stream: string;
  readonly durable: string;
  /** The named connection its consumer is on (the handler's `connection` option); undefined: the default one. */
  readonly connection?: string;
  /** A singleton handler: whether this instance holds its consumer's pin now. */
  readonly pin?: () => { readonly held: boolean };
}

/**
 * Per-message hooks of a server's consumers. Called on the hot path only when an
 * instrumentation that has them is configured; with none, the runner makes no call at all.
 */
export interface ConsumeObserver {
  /** A message arrived from the server (it may wait for a free handler slot). The return value is this observer's token for it. */
  received(handler: InstrumentedHandler, ctx: JetStreamContext): unknown;
  /** Runs the handler call (after `received`); a tracer runs it inside the message's context. */
  run?<T>(token: unknown, call: () => T): T;
  /** Runs a library step for the message after its handler (publishing its dead letter) inside the message's context. */
  within?<T>(token: unknown, call: () => T): T;
  /** The handler returned (`error` undefined) or failed; not called when it never ran (decode error, out of attempts). */
  handled?(token: unknown, error: unknown): void;
  /** The message was settled; called once per message received. */
  settled(token: unknown, outcome: SettleOutcome, reason?: string): void;
  /** A batch handler is about to be called with these messages (their `received` tokens): what runs it (a tracer's one span per batch). */
  batch?(handler: InstrumentedHandler, tokens: readonly unknown[]): BatchObservation;
}

/** One batch handler call as an observer follows it (docs/batch-handlers.md). */
export interface BatchObservation {
  /** Runs the handler call (a tracer runs it inside the batch's span). */
  run<T>(call: () => T): T;
  /** The call returned (`error` undefined) or failed, or ran past `handlerTimeout`. Called once. */
  ended(error: unknown): void;
}

/** Per-publish hooks, for the client's publishes and the server's dead letters. */
export interface PublishObserver {
  /**
   * Before the publish. `headers()` returns the message's headers, creating them on first call,
   * so an observer can add trace context. `connection` is the named connection it goes through
   * (undefined: the default one). The return value is this observer's token for it.
   */
  started(subject: string, msgId: string, headers: () => MsgHdrs, connection?: string): unknown;
  /** The publish resolved with `ack`, or failed for good with `error`. */
  finished(token: unknown, ack: PubAck | undefined, error?: unknown): void;
  /** A fast-ingest batch (`publishFastBatch()`) ended: committed (`error` undefined), or failed. Optional. */
  fastBatch?(event: FastBatchEvent): void;
}

/** The end of one fast-ingest batch, as `PublishObserver.fastBatch` is told it. */
export interface FastBatchEvent {
  /** The stream, once the batch's first subject was matched to one. */
  readonly stream?: string;
  /** Messages sent (a fast batch is not atomic: on a failure, those before it may be stored). */
  readonly sent: number;
  /** Messages the committed batch counted (the server's ack `count`); 0 on a failure. */
  readonly stored: number;
  /** Why it failed (a `FastBatchError` or another error); undefined when it committed. */
  readonly error?: unknown;
  /** The named connection it went through; undefined: the default one. */
  readonly connection?: string;
}

/** Events an instrumentation can follow on the server or client it is attached to. */
export interface InstrumentationEvents {
  terminated: TerminatedMessageEvent;
  deadLetter: DeadLetterEvent;
  deadLetterLost: DeadLetterLostEvent;
  reconnect: string;
  disconnect: string;
  recovery: RecoveryEvent;
}

/** A named connection (the `connections` option) changed state; `reconnected` when it came back after a loss. */
export interface ConnectionStateEvent {
  readonly connection: string;
  readonly up: boolean;
  readonly reconnected: boolean;
}

/** What a server (after its handlers are bound) or a client (after it connects) hands to `attach()`. */
export interface InstrumentationTarget {
  readonly role: 'server' | 'client';
  readonly serviceName: string;
  readonly connection: NatsConnection;
  readonly jsm: JetStreamManager;
  /** The handlers bound (a server's, read again at each use: a named connection's start once it is up); empty for a client. */
  readonly handlers: readonly InstrumentedHandler[];
  /** The JetStream of a named connection while it is up, to read its handlers' consumers (a target with named connections has it). */
  jsmOf?(connection: string): JetStreamManager | undefined;
  /** Streams the app declares or consumes from. */
  readonly streams: readonly string[];
  /** Connection status; replays the current one to a new subscriber. */
  readonly status: Observable<JetStreamStatus>;
  on<K extends keyof InstrumentationEvents>(event: K, listener: (payload: InstrumentationEvents[K]) => void): void;
  /** Follows the named connections' states, the current ones first (a target with named connections has it). */
  onConnectionState?(listener: (event: ConnectionStateEvent) => void): void;
}

/**
 * An instrumentation (metrics, tracing) of a server or client: the `metrics` and `tracing`
 * options take one. Its hooks are read once, at construction; `attach` runs once connected,
 * `detach` when that server or client closes.
 */
export interface JetStreamInstrumentation {
  readonly consume?: ConsumeObserver;
  readonly publish?: PublishObserver;
  attach?(target: InstrumentationTarget): void | Promise<void>;
  detach?(target: InstrumentationTarget): void | Promise<void>;
}
