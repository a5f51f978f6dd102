import type { Consumer, PushConsumer } from '@nats-io/jetstream';
import type { LeaderGuard } from '../connection/leader-guard.js';
import type { ConsumerElections } from './leader-watch.js';

/** What a puller pulls from: a handler's consumer, or the dead-letter advisory consumer. */
export interface PullTarget {
  /** `stream/durable`, for logs. */
  readonly key: string;
  /**
   * The prefetch window's hard cap: the most messages pulled and not yet started (waiting here,
   * or requested and on their way). Without `held`, every pull asks for this many.
   */
  readonly maxMessages: number;
  /** The first window of an adaptive target (default `maxMessages`). */
  readonly initialWindow?: number;
  /** Received messages that wait for a handler; with `held`, they count in the window. */
  waiting?(): number;
  /**
   * Received messages not yet settled (waiting or running). With it (and `waiting`) the window
   * adapts (`PrefetchWindow`): it grows while handlers keep up and shrinks to about
   * `PREFETCH_BUDGET_MS` (pull-settings.ts) of work at their measured rate, so a crashed process strands that
   * much beyond what it runs until ackWait, and a second instance gets the rest at once.
   */
  held?(): number;
  /** The consumer to pull from (or, for a push consumer, to subscribe to); with `recreate`, first put it back on the server (it was deleted). */
  consumer(recreate: boolean): Promise<Consumer | PushConsumer>;
  /** An ordered consumer: the client recreates it after a gap or a deletion, so the puller leaves that to it. */
  readonly ordered?: boolean;
  /** An ordered consumer was recreated by the client under `name`. */
  renamed?(name: string): void;
  /** The priority group this instance pulls in (singleton, overflow: priority/), with a standby's thresholds. */
  readonly priority?: { group: string; min_pending?: number; min_ack_pending?: number };
  /** A singleton's pin: this instance got it (`id`) or lost it (`undefined`). */
  pinned?(id: string | undefined): void;
  /** Told what each check of the consumer found; moves the connection off a server that lost the leader. */
  readonly leaderGuard?: LeaderGuard;
  /** The consumer's leader elections: a pull left at the old leader is sent again at once (`leader-watch.ts`). Pull consumers only. */
  readonly elections?: ConsumerElections;
}
