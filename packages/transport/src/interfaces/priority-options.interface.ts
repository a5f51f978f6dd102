import type { Duration } from '../utils/duration.js';

/** `@JetStreamEvent(subject, { singleton })`: one instance at a time handles the subject (priority policy `pinned_client`, nats-server 2.11+). */
export interface SingletonOptions {
  /**
   * How long the server waits for the pinned instance to pull again before it pins another
   * (`priority_timeout`): the longest a dead instance holds the subject. At least `'10s'` (the
   * library pulls at least every 5 s). Default `'30s'`.
   */
  takeoverAfter?: Duration;
}

/**
 * `@JetStreamEvent(subject, { overflow })`: instances started with `standby: true` get messages
 * only while the consumer's backlog is at or above a threshold (priority policy `overflow`,
 * nats-server 2.11+). Give the same thresholds to every instance; at least one of them.
 */
export interface OverflowOptions {
  /** A standby pulls only while at least this many messages wait undelivered (`min_pending`). */
  minPending?: number;
  /** A standby pulls only while at least this many messages are delivered and unsettled (`min_ack_pending`). */
  minAckPending?: number;
  /** This instance is a standby (pulls with the thresholds). Default `false`: a primary, which pulls always. */
  standby?: boolean;
}

/** The priority-group options of a handler (docs/consumer-control.md). */
export interface PriorityHandlerOptions {
  /** One instance at a time handles the subject; another takes over when it dies. `true` for the defaults. Only mode `'shared'`. */
  singleton?: boolean | SingletonOptions;
  /** A standby pool that helps only past a backlog threshold. Only mode `'shared'`. */
  overflow?: OverflowOptions;
}

/** A handler's priority group, resolved: what its consumer's config and its pulls carry. */
export type PriorityBinding =
  | { readonly policy: 'pinned_client'; readonly group: string; readonly takeoverAfterMs: number }
  | { readonly policy: 'overflow'; readonly group: string; readonly minPending?: number; readonly minAckPending?: number; readonly standby: boolean };

/** Whether this instance holds the pin of a singleton handler's consumer, as its pulls learn it. */
export interface PinState {
  /** This instance is the one the server delivers to now. */
  readonly held: boolean;
  /** The pin's id (the server's `Nats-Pin-Id`), while held. */
  readonly pinId?: string;
  /** Since when (ms since the epoch) this instance holds it, or last lost it. */
  readonly since?: number;
}
