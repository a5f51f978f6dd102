import type { RecoveryEvent } from '../connection/leader-guard.js';

/**
 * Reacts to a new leader of a pulled consumer instead of waiting for two missed idle heartbeats.
 *
 * A pull waits at the consumer's leader; when that leader dies (SIGKILL: nothing tells the
 * client) or steps down (the server answers 409 Leadership Change, after which nats.js 3 stalls
 * until its heartbeats go missing), the pull is gone, and the client notices only two idle
 * heartbeats later (5 s for a 5 s pull), plus its back-off. The server announces every election
 * on `$JS.EVENT.ADVISORY.CONSUMER.LEADER_ELECTED.<stream>.<durable>` (2.9.10 does too): when it
 * comes and, {@link ELECTION_GRACE_MS} later, no message arrived and the client sent no pull
 * since, the puller pulls again at once (a new `consume()` first, then the stuck one stopped, as
 * after missed heartbeats; nothing is settled there, so at-least-once holds). An advisory only
 * comes with a real election, so a slow but healthy server never causes a re-pull.
 *
 * The stream's own election is not watched: a pull waits at the consumer's leader, which a stream
 * election does not move; when both leaders were on the node that died, the consumer's advisory
 * comes too. Ordered consumers are left to the client, which recreates them itself.
 */

/** How long after a consumer's election the client gets to pull (or a message to arrive) by itself, in ms. */
export const ELECTION_GRACE_MS = 500;
/** While the prefetch window holds a pull back (messages wait for a handler), another re-pull runs, or a re-pull failed, the decision is put off this many graces at most. */
export const ELECTION_RETRIES = 20;

const ADVISORY_PREFIX = '$JS.EVENT.ADVISORY.CONSUMER.LEADER_ELECTED';

/** The subject the server announces `stream`/`durable`'s elections on. */
export function leaderElectedSubject(stream: string, durable: string): string {
  return `${ADVISORY_PREFIX}.${stream}.${durable}`;
}

/** The public `NatsConnection` call the watch makes. */
export interface AdvisoryConnection {
  subscribe(subject: string, opts: { callback: (err: Error | null, msg: unknown) => void }): { unsubscribe(): void };
}

/**
 * The elections of the consumers pulled through one connection: one subscription per consumer,
 * shared by its pullers, made when the first puller watches and dropped when the last leaves
 * (subscriptions come back by themselves after a reconnect). Recoveries go to `recovered`.
 */
export class LeaderWatch {
  private readonly watched = new Map<string, { sub: { unsubscribe(): void }; listeners: Set<() => void> }>();

  constructor(
    private readonly nc: AdvisoryConnection,
    private readonly recovered: (event: RecoveryEvent) => void,
  ) {}

  /** Calls `listener` on every election of `stream`/`durable`'s leader; returns the unwatch. */
  watch(stream: string, durable: string, listener: () => void): () => void {
    const subject = leaderElectedSubject(stream, durable);
    let entry = this.watched.get(subject);
    if (!entry) {
      const listeners = new Set<() => void>();
      // An error (a subscription the account's permissions deny) only means no early re-pull.
      const sub = this.nc.subscribe(subject, { callback: (err) => (err ? undefined : [...listeners].forEach((l) => l())) });
      entry = { sub, listeners };
      this.watched.set(subject, entry);
    }
    const { listeners, sub } = entry;
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size > 0 || this.watched.get(subject)?.sub !== sub) return;
      this.watched.delete(subject);
      sub.unsubscribe();
    };
  }

  /** A puller pulled again after an election (the `recovery` event, the recoveries counter). */
  repulled(consumer: string): void {
    this.recovered({ cause: 'leader_elected', consumer });
  }

  /** How many consumers are watched (one subscription each). */
  get size(): number {
    return this.watched.size;
  }
}

/** A puller's consumer's elections, as its pull target offers them. */
export interface ConsumerElections {
  /** Calls `listener` on every election of the consumer's leader; returns the unwatch. */
  watch(listener: () => void): () => void;
  /** The puller pulled again after an election. */
  repulled(): void;
}

/** The elections of `stream`/`durable` through `watch`. */
export function consumerElections(watch: LeaderWatch, stream: string, durable: string): ConsumerElections {
  return { watch: (listener) => watch.watch(stream, durable, listener), repulled: () => watch.repulled(`${stream}/${durable}`) };
}

/** What the follower asks of its puller. */
export interface ElectionHooks {
  /** The puller pulls now (closing, healing, or its `consume()` replaced: false, nothing to do). */
  live(): boolean;
  /** The prefetch window holds a pull back while messages wait for a handler: no pull is due yet. */
  holdsBack(): boolean;
  /** Another re-pull of the puller's is in flight: decide again once it is done. */
  busy?(): boolean;
  /** Pull again (a new `consume()`, then the stuck one stopped); false if it could not. */
  repull(): Promise<boolean>;
}

/**
 * One puller's view of its consumer's elections: after one, did a message arrive or the client
 * pull by itself within the grace? If not, the pull it had went to the old leader: pull again.
 */
export class ElectionFollower {
  private electing = false;
  private arrivedSince = false;
  private pulledSince = false;
  private timer?: NodeJS.Timeout;
  private unwatch?: () => void;

  constructor(
    private readonly elections: ConsumerElections,
    private readonly hooks: ElectionHooks,
    private readonly graceMs = ELECTION_GRACE_MS,
  ) {}

  /** Watches the consumer's elections until `stop()`. */
  start(): void {
    this.unwatch ??= this.elections.watch(() => this.elected());
  }

  /** The consumer has a new leader. */
  elected(): void {
    this.electing = true;
    this.arrivedSince = this.pulledSince = false;
    this.schedule(0);
  }

  /** A message arrived (called for every message: a field write only). */
  arrived(): void {
    this.arrivedSince = true;
  }

  /** A status of the `consume()`: `next` is a pull the client sent. */
  status(type: string): void {
    if (type === 'next') this.pulledSince = true;
  }

  /** Whether the client's pull is presumed lost with the old leader: nothing came and nothing was asked since the election. */
  lost(): boolean {
    return this.electing && !this.arrivedSince && !this.pulledSince;
  }

  /** Stops watching (the puller closes). */
  stop(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    this.settle();
  }

  private settle(): void {
    clearTimeout(this.timer);
    this.electing = false;
  }

  private schedule(tries: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.decide(tries), this.graceMs);
    this.timer.unref();
  }

  private async decide(tries: number): Promise<void> {
    if (!this.lost() || !this.hooks.live()) return this.settle();
    const later = () => (tries < ELECTION_RETRIES ? this.schedule(tries + 1) : this.settle());
    if (this.hooks.holdsBack() || this.hooks.busy?.()) return later();
    if (await this.hooks.repull()) {
      this.settle();
      this.elections.repulled();
    } else if (this.lost())
      later(); // the consumer's info did not answer (mid-election): try again
    else this.settle();
  }
}
