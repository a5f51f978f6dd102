import { JetStreamApiCodes, JetStreamApiError, isPushConsumer, type Consumer, type ConsumerMessages, type JsMsg, type PushConsumer } from '@nats-io/jetstream';
import type { LoggerService } from '@nestjs/common';
import { describeError } from '../settlement/settle-policy.js';
import { drainPulls, interceptPulls, type PullRequest, type PullSender } from '../nats-adapter/private-access.js';
import { PrefetchWindow } from './prefetch-window.js';
import type { PullTarget } from './pull-target.js';
import { PullRevival, REVIVE_GRACE_MS } from './pull-revival.js';
import { CHECK_TIMEOUT_MS, lookUpLeader } from './leader-check.js';
import { abortableDelay, backoffDelay } from '../utils/backoff.js';
import { ElectionFollower } from './leader-watch.js';
import * as pulls from './pull-settings.js';

const performanceNow = (): number => performance.now();

/** Pulls a durable consumer's messages into a callback, and pulls again after the consumer is deleted. */
export class MessagePuller {
  private messages?: ConsumerMessages;
  /** The last pull the client wanted and the window held back; tried again by `resume()`. */
  // Kept in fields, not an object: a pull is offered (and mostly held back) after every message.
  private deferred?: PullRequest;
  /** The `consume()` whose pull `deferred` is, and its sender. */
  private deferredOn?: ConsumerMessages;
  private deferredSend?: PullSender;
  private healing = false;
  private closing = false;
  private checking = false;
  /**
   * Heartbeats went missing (`missed`), and a check then found the consumer with a leader, so the client's re-issued
   * pull recovers it (`reported`: counted once until a message arrives).
   */
  private lost: 'no' | 'missed' | 'reported' = 'no';
  private readonly revival = new PullRevival();
  private unwatch?: () => void;
  private readonly elections?: ElectionFollower;
  /** Counts `consume()` calls: one that a later call overtook (or that ends after `close()`) closes what it opened. */
  private generation = 0;
  private replacing = false; // a re-pull in flight
  /** Messages received so far (minus `held()`: what the handlers finished). */
  private received = 0;
  private readonly window?: PrefetchWindow;
  /** `max_messages` of each `consume()`: the first pull, and what the client's pending count is taken from. */
  private readonly firstPull: number;
  private readonly deliver: (msg: JsMsg) => void;
  /**
   * What the client counts as pending and is not: an ordered consumer's reset (a gap, a deletion) leaves what was
   * requested from the dead consumer in the client's count until it next zeroes it (after missed heartbeats). Taken
   * at the first pull after the reset; never more than the client's count.
   */
  private stale = 0;
  /** A reset was reported: the next pull's client count is all stale. */
  private staleNext = false;

  /** `clock`: milliseconds, monotonic (tests pass their own). */
  constructor(
    private readonly target: PullTarget,
    private readonly logger: LoggerService,
    onMessage: (msg: JsMsg) => void,
    private readonly clock: () => number = performanceNow,
  ) {
    if (target.held && target.waiting) {
      const initial = target.initialWindow ?? target.maxMessages;
      this.window = new PrefetchWindow({ cap: target.maxMessages, initial, budgetMs: pulls.PREFETCH_BUDGET_MS }, clock());
      this.firstPull = this.window.size;
      this.deliver = (msg) => {
        this.received++;
        if (this.lost !== 'no') this.flowing();
        this.elections?.arrived();
        onMessage(msg);
      };
    } else {
      this.firstPull = target.maxMessages;
      this.deliver = (msg) => {
        if (this.lost !== 'no') this.flowing();
        this.elections?.arrived();
        onMessage(msg);
      };
    }
    if (target.elections && !target.ordered)
      this.elections = new ElectionFollower(target.elections, {
        live: () => !this.closing && !this.healing && this.messages !== undefined,
        holdsBack: () => this.holdsBack(),
        busy: () => this.replacing,
        repull: () => this.replace(this.messages!, 'a new leader was elected and no message or pull came since'),
      });
  }

  /** Messages arrive again after a loss: the consumer has a leader (no check may come to say so). */
  private flowing(): void {
    this.lost = 'no';
    this.revival.reset();
    void this.target.leaderGuard?.report(this.target.key, 'leader');
  }

  /** The prefetch window now (what may be waiting plus requested), for tests and metrics. */
  get windowSize(): number {
    return this.window?.size ?? this.target.maxMessages;
  }

  async start(): Promise<void> {
    await this.consume(false);
    this.unwatch = this.target.leaderGuard?.onReconnect(() => {
      this.revival.status('heartbeats_missed');
      this.followUp(this.messages);
    });
    this.elections?.start();
  }

  /** The window holds a pull back while received messages wait: no pull, and no heartbeat, is due. */
  private holdsBack(): boolean {
    return this.deferred !== undefined && (this.target.waiting?.() ?? 0) > 0;
  }

  /**
   * The client has not pulled since its heartbeats went missing or it reconnected: it re-pulls once the consumer's info
   * answers, or backs off. Check every second meanwhile, and after, until a check finds a leader ({@link PullRevival}).
   */
  private followUp(messages: ConsumerMessages | undefined): void {
    if (!messages || this.target.ordered) return;
    const current = () => this.messages === messages && !this.closing;
    const waiting = () => !this.closing && this.messages !== undefined && !!this.target.leaderGuard?.waitsForLeader(this.target.key);
    void this.revival.followUp(current, () => this.check(messages));
    void this.revival.confirm(waiting, () => this.check(this.messages!, true));
  }

  /** A handler took a waiting message: send the pull the window held back, if it now fits. */
  resume(): void {
    const request = this.deferred;
    if (!request) return;
    this.deferred = undefined;
    if (this.messages === this.deferredOn && !this.closing) this.pull(request, this.deferredSend!);
  }

  /**
   * Stops pulling; buffered messages still reach the callback. The subscription is drained, not dropped: what the server
   * sent before it saw the unsubscribe still reaches the callback (the runner naks it for another instance at once);
   * dropped, it would wait out ackWait (30 s by default): the fault suite saw that when a service stopped in a burst.
   */
  async close(): Promise<void> {
    this.closing = true;
    this.unwatch?.();
    this.elections?.stop();
    const messages = this.messages;
    this.messages = undefined;
    this.deferred = this.deferredOn = this.deferredSend = undefined;
    if (messages) await drainPulls(messages);
    await messages?.close().catch(() => undefined);
  }

  private async consume(recreate: boolean): Promise<void> {
    const generation = ++this.generation;
    const consumer = await this.target.consumer(recreate);
    // A push consumer is bounded by the server (max_ack_pending) rather than by pulls.
    const push = isPushConsumer(consumer);
    const expires = this.target.ordered ? pulls.ORDERED_PULL_EXPIRES_MS : pulls.PULL_EXPIRES_MS;
    const messages = push
      ? await (consumer as PushConsumer).consume({ callback: this.deliver })
      : await (consumer as Consumer).consume({
          // The first pull is the window's first size; with a window the client offers a refill
          // after every message, and the window decides (see gate()).
          max_messages: this.firstPull,
          ...(this.window && { threshold_messages: pulls.OFFER_EVERY_MESSAGE }),
          // Short pulls, so a consumer deleted between pulls is noticed within seconds; shorter still
          // for an ordered consumer, which the client puts back only after two missed heartbeats (half
          // the expiry each): a gap in an ordered handler holds every later message.
          expires,
          idle_heartbeat: expires * pulls.IDLE_HEARTBEAT_SHARE,
          callback: this.deliver,
          ...this.target.priority,
        });
    if (this.closing || generation !== this.generation) {
      await messages.close().catch(() => undefined);
      return;
    }
    this.target.pinned?.(undefined);
    this.messages = messages;
    if (!push) this.gate(messages);
    void this.watch(messages);
    // No heartbeats reach a queue group: look for a deleted push consumer as often as a pull expires.
    if (push) {
      const timer = setInterval(() => (this.messages === messages ? void this.check(messages) : clearInterval(timer)), pulls.PULL_EXPIRES_MS);
      timer.unref();
      void messages.closed().finally(() => clearInterval(timer));
    }
  }

  /**
   * Routes the client's pulls through the prefetch window. The v3 client tops its request up from inside `pull()`,
   * the one place to act: it counts what it requested only when the pull is sent, so its pending count is
   * `max_messages - request.batch` (whatever the sign) and stays right when a pull is held back, made smaller or
   * larger (it asks again when the next message arrives, or a handler starts a waiting one: `resume()`).
   */
  private gate(messages: ConsumerMessages): void {
    if (!this.window) return;
    const routed = interceptPulls(messages, (request, send) => {
      // Closing: no new pull (the subscription is being drained).
      if (this.closing || this.messages !== messages) return;
      this.pull(request, send);
    });
    // Only on a nats.js whose consume() changed (nats-adapter's spec fails on it first).
    if (!routed)
      this.logger.warn?.(
        `Consumer ${this.target.key}: this @nats-io/jetstream version offers no pull to route through the prefetch window, so a crashed process may strand up to maxAckPending messages; use the @nats-io/jetstream version this library supports`,
      );
  }

  private pull(request: PullRequest, send: PullSender): void {
    const window = this.window!;
    const waiting = this.target.waiting!();
    const counted = Math.max(0, this.firstPull - request.batch);
    if (this.staleNext) {
      this.staleNext = false;
      this.stale = counted;
    }
    // The client zeroed its count (missed heartbeats): nothing of it is stale any more.
    if (this.stale > counted) this.stale = counted;
    const pending = counted - this.stale;
    // The window is full (most offers): held back without counting anything more.
    const batch = window.hasRoom(waiting + pending) ? window.refill(waiting, pending, this.received - this.target.held!(), this.clock) : 0;
    if (batch > 0) {
      this.deferred = undefined;
      send(request, batch);
    } else if (this.messages) {
      this.deferred = request;
      this.deferredOn = this.messages;
      this.deferredSend = send;
    }
  }

  private async watch(messages: ConsumerMessages): Promise<void> {
    for await (const status of messages.status()) {
      this.revival.status(status.type);
      this.elections?.status(status.type);
      if (!pulls.ROUTINE_STATUSES.has(status.type)) this.logger.debug?.(`Consumer ${this.target.key}: ${status.type}`);
      if (this.target.ordered) {
        // Reported before the client recreates the consumer (a request to the server): its first
        // pull, right after, asks for the window, not for what the dead consumer still owed.
        if (status.type === 'reset') this.staleNext = true;
        if (status.type === 'ordered_consumer_recreated') this.recreated(status.name);
        continue;
      }
      if (status.type === 'consumer_pinned' || status.type === 'consumer_unpinned')
        this.target.pinned?.(status.type === 'consumer_pinned' ? status.id : undefined);
      // A pull the window holds back: no heartbeats are due, and the client looks the consumer up
      // itself (it reports consumer_not_found); a look-up of ours would only add a request.
      if (status.type === 'heartbeats_missed' && this.holdsBack()) continue;
      if (status.type === 'consumer_deleted' || status.type === 'consumer_not_found') {
        void this.heal(messages);
        return;
      }
      // A pull that found nobody, or went quiet: look whether the consumer is still there.
      if (status.type === 'heartbeats_missed' && this.lost === 'no') this.lost = 'missed';
      if (status.type === 'no_responders' || status.type === 'heartbeats_missed') void this.check(messages);
    }
  }

  /**
   * The client recreated its ordered consumer and pulled from it. Had its first pull come before the reset was seen
   * here, it was counted against what the dead consumer owed and held back: count that as stale and send it.
   */
  private recreated(name: string): void {
    this.target.renamed?.(name);
    if (!this.staleNext) return;
    this.staleNext = false;
    if (!this.deferred) return;
    this.stale = Math.max(0, this.firstPull - this.deferred.batch);
    this.resume();
  }

  /**
   * Is the consumer there, and does it have a leader? Tells the leader guard (which may move the connection off a server
   * that lost the leader; `confirming`: only a leader, see {@link PullRevival.confirm}); a consumer found with a leader
   * after missed heartbeats means the client's re-issued pull recovers it.
   */
  private async check(messages: ConsumerMessages, confirming = false): Promise<void> {
    if (this.healing || this.closing || this.checking) return;
    this.checking = true;
    const startedAt = this.clock();
    try {
      const found = await lookUpLeader(this.target, CHECK_TIMEOUT_MS);
      this.logger.debug?.(`Consumer ${this.target.key}: checked in ${Math.round(this.clock() - startedAt)} ms: ${found}`);
      if (this.closing || this.messages !== messages) return;
      if (found === 'leader' && this.lost === 'missed') {
        this.lost = 'reported';
        this.target.leaderGuard?.recovered(this.target.key, 'pull_reissued');
      }
      if (confirming && found !== 'leader') return;
      await this.target.leaderGuard?.report(this.target.key, found, startedAt);
      if (found === 'leader') void this.revive(messages);
      else this.followUp(messages);
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) await this.heal(messages);
    } finally {
      this.checking = false;
    }
  }

  /** The consumer has a leader and the client still waits out its back-off: pull again now ({@link PullRevival}). */
  private async revive(stuck: ConsumerMessages): Promise<void> {
    if (this.target.ordered || !this.revival.stuck()) return;
    await new Promise((r) => setTimeout(r, REVIVE_GRACE_MS));
    if (this.closing || this.healing || this.replacing || this.messages !== stuck || this.holdsBack() || !this.revival.stuck()) return;
    await this.replace(stuck, 'no pull since the heartbeats went missing, though it has a leader');
  }

  /**
   * A new `consume()` first: should it fail, the stuck one is still there and recovers by itself. The stuck one is
   * drained, not dropped: what its pull still brings reaches the handlers. Nothing is settled here. One at a time.
   */
  private async replace(stuck: ConsumerMessages, why: string): Promise<boolean> {
    if (this.replacing) return false;
    this.replacing = true;
    this.logger.debug?.(`Consumer ${this.target.key}: ${why}; pulling again`);
    this.revival.reset();
    try {
      await this.consume(false);
      if (this.lost === 'missed') this.lost = 'reported'; // this re-pull is the recovery (its caller counts it)
      void drainPulls(stuck).finally(() => stuck.stop());
      return !this.closing && this.messages !== stuck;
    } catch (err) {
      this.logger.debug?.(`Consumer ${this.target.key}: could not pull again: ${describeError(err)}`);
      return false;
    } finally {
      this.replacing = false;
    }
  }

  /** A deleted consumer's pull never resumes by itself: put the consumer back and pull again. */
  private async heal(dead: ConsumerMessages): Promise<void> {
    if (this.healing || this.closing || this.messages !== dead) return;
    this.healing = true;
    const key = this.target.key;
    this.logger.warn?.(`Consumer ${key} disappeared from the server; putting it back`);
    dead.stop();
    for (let failures = 1; !this.closing; failures++) {
      try {
        await this.consume(true);
        this.logger.log?.(`Consumer ${key} is back; consuming again`);
        this.target.leaderGuard?.recovered(key, 'consumer_recreated');
        break;
      } catch (err) {
        const pause = backoffDelay({ firstMs: 100, maxMs: pulls.HEAL_RETRY_MAX_MS }, failures);
        this.logger.error?.(`Could not put back consumer ${key}: ${describeError(err)}; retrying in ${pause} ms`);
        await abortableDelay(pause);
      }
    }
    this.healing = false;
  }
}
