import type { ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { HandlerBinding } from '../bindings/handler-binding.js';
import { modeOf } from '../delivery/modes.js';
import { JetStreamConfigError, JetStreamConnectionError, JetStreamNotListeningError } from '../errors/jetstream-transport.error.js';
import { toMillis, type Duration } from '../utils/duration.js';
import { assertConsumerFeature, type ConsumerFeature } from '../delivery/consumer-features.js';

/** `pause()` without `until`: far enough to mean "until resumed", near enough for the server's nanosecond clock (int64, 292 years). */
export const PAUSED_UNTIL_RESUMED = new Date('2200-01-01T00:00:00Z');

/** Options of `JetStreamConsumers.pause()`. */
export interface PauseOptions {
  /** When the server resumes the consumer by itself: a date, or a duration from now (`'10m'`). Default: never (until `resume()`). */
  until?: Date | Duration;
}

/** Whether a handler's consumer is paused, as the server says. */
export interface ConsumerPauseState {
  /** The handler's subject. */
  subject: string;
  stream: string;
  /** The durable consumer's name. */
  consumer: string;
  paused: boolean;
  /** When the server resumes it by itself (absent when not paused); `PAUSED_UNTIL_RESUMED` for a pause without `until`. */
  pausedUntil?: Date;
}

/** What `JetStreamConsumers` reads from its server. */
export interface ConsumerControlSource {
  /** Who calls, for the errors: `JetStreamServer`. */
  readonly who: string;
  jsm(): JetStreamManager | undefined;
  /** The connection (its `info.version` is the server's). */
  nc(): NatsConnection | undefined;
  bindings(): readonly HandlerBinding[];
  /** The JetStream and connection of a named connection while it is up (a server with named connections has it). */
  connectionOf?(connection: string): { jsm: JetStreamManager; nc: NatsConnection } | undefined;
}

/**
 * Pauses and resumes the server-side consumers of this app's handlers (`pause_until`, nats-server
 * 2.11+). The pause is the consumer's state on the server, not this process's: every instance of
 * the service stops receiving, and a restarted app stays paused until `resume()` or `until`.
 * Inject it (`JetStreamModule` provides it) or use `JetStreamServer.consumers`.
 */
export class JetStreamConsumers {
  /** @internal */
  constructor(private readonly source: ConsumerControlSource) {}

  /** Stops the server delivering to the consumer of the handler bound to `subject`, until `resume()` or `options.until`. */
  async pause(subject: string, options: PauseOptions = {}): Promise<ConsumerPauseState> {
    const until = untilDate(options.until, subject);
    const { jsm, binding } = this.target('pause', subject);
    const res = await jsm.consumers.pause(binding.stream, binding.durable, until);
    return stateOf(binding, res.paused, res.pause_until);
  }

  /** Lets the server deliver to the handler's consumer again (nothing happens when it is not paused). */
  async resume(subject: string): Promise<ConsumerPauseState> {
    const { jsm, binding } = this.target('resume', subject);
    const res = await jsm.consumers.resume(binding.stream, binding.durable);
    return stateOf(binding, res.paused, res.pause_until);
  }

  /**
   * Moves a singleton handler's pin away from the instance holding it: the server pins the next
   * instance that pulls (this one included). Messages the old holder still runs settle as usual.
   */
  async unpin(subject: string): Promise<void> {
    const at = `${this.source.who}.consumers.unpin("${subject}")`;
    const { jsm, binding } = this.target('unpin', subject, 'singleton');
    if (binding.priority?.policy !== 'pinned_client') {
      throw new JetStreamConfigError(`${at}: the handler is not a singleton; only @JetStreamEvent(subject, { singleton }) has a pin to move.`);
    }
    await jsm.consumers.unpin(binding.stream, binding.durable, binding.priority.group);
  }

  /** Whether the handler's consumer is paused now, and until when. */
  async pauseState(subject: string): Promise<ConsumerPauseState> {
    const { jsm, binding } = this.target('pauseState', subject);
    const info = await jsm.consumers.info(binding.stream, binding.durable);
    return stateOfInfo(binding, info);
  }

  /** The handler's binding and a connection, or the error that says why there are none. */
  private target(method: string, subject: string, feature: ConsumerFeature = 'pause'): { jsm: JetStreamManager; binding: HandlerBinding } {
    const at = `${this.source.who}.consumers.${method}("${subject}")`;
    const jsm = this.source.jsm();
    const nc = this.source.nc();
    if (!jsm || !nc) throw new JetStreamNotListeningError(at);
    const bindings = this.source.bindings();
    const binding = bindings.find((b) => b.subject === subject);
    if (!binding) {
      throw new JetStreamConfigError(
        `${at}: no handler is bound to "${subject}"; the handlers are ${bindings.map((b) => `"${b.subject}"`).join(', ') || 'none'}.`,
      );
    }
    const refused = feature === 'pause' ? modeOf(binding).pauseRefused : undefined;
    if (refused) throw new JetStreamConfigError(`${at}: the handler's mode '${binding.mode}' ${refused}`);
    // A handler on a named connection: its consumer is on that connection's servers.
    const on = binding.connection === undefined ? { jsm, nc } : this.source.connectionOf?.(binding.connection);
    if (!on) throw new JetStreamConnectionError(namedConnectionNotUp(at, binding.connection ?? ''));
    assertConsumerFeature(feature, on.nc.info?.version ?? '0.0.0', at);
    return { jsm: on.jsm, binding };
  }
}

const namedConnectionNotUp = (at: string, connection: string): string =>
  `${at}: the handler is on connection "${connection}", which is not up now (or its handlers have not started); call again once it is (health.readiness() reports it under nats.connections).`;

/** `until` as a date in the future; a duration counts from now. */
function untilDate(until: PauseOptions['until'], subject: string): Date {
  if (until === undefined) return PAUSED_UNTIL_RESUMED;
  const date = until instanceof Date ? until : new Date(Date.now() + toMillis(until, `consumers.pause("${subject}") until`));
  if (Number.isNaN(date.getTime()) || date.getTime() <= Date.now()) {
    throw new JetStreamConfigError(`consumers.pause("${subject}"): until must be a date in the future or a positive duration ('10m'); got ${String(until)}.`);
  }
  return date;
}

function stateOf(b: HandlerBinding, paused: boolean, until: string | undefined): ConsumerPauseState {
  return { subject: b.subject, stream: b.stream, consumer: b.durable, paused, ...(paused && until ? { pausedUntil: new Date(until) } : {}) };
}

/** The pause state in a consumer's info (2.11+: `paused`, `config.pause_until`). */
export function stateOfInfo(b: HandlerBinding, info: ConsumerInfo): ConsumerPauseState {
  return stateOf(b, info.paused === true, info.config.pause_until);
}
