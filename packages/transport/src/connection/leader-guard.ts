import { avoidOnReconnect } from './reconnect-steering.js';

/**
 * Notices that the server a connection is on has lost the leaders its consumers pull from, and
 * moves the connection to another server of the cluster.
 *
 * The pullers report each check of their consumer (made when an idle heartbeat is late): answered
 * with a leader, answered without one, or not answered (a JetStream API timeout or no responders).
 * On a partition the connection's node stays reachable (TCP and PING are fine) while every
 * JetStream request through it times out; the client would wait on that healthy connection until
 * the partition heals. A move is made only when all of these hold, so a slow but healthy server
 * never causes one: the checks of one consumer failed `minFailures` times in a row over at least
 * `suspectMs`, the connection itself answers a PING (the node is up, JetStream through it is not),
 * the client knows another server, no move happened in the last `cooldownMs`, and either the
 * server lost its routes (the servers it announces, `connect_urls`, are only itself: cut off) or
 * the checks kept failing for `lostMs` (longer than an ordinary election, which a move would not
 * shorten: a cluster that lost one node still announces the others). Apart from the checks,
 * `watch()` moves off a server that has announced only itself for `cutOffMs` (its routes lost)
 * while the client knows others: a consumer leader cut off with that node may go on sending idle
 * heartbeats, so no check would run. How soon a node notices lost routes is the servers'
 * `ping_interval` (routes are pinged like clients).
 */

/** What a puller's check of its consumer found. */
export type LeaderCheck = 'leader' | 'no-leader' | 'timeout';

/** Why a consumer's pulling was recovered; the label values of the recoveries counter. */
export type RecoveryCause = 'pull_reissued' | 'leader_elected' | 'consumer_recreated' | 'connection_moved';

/** One recovery, for `on('recovery')` and the recoveries counter. */
export interface RecoveryEvent {
  cause: RecoveryCause;
  /** `stream/durable` of the consumer that noticed; empty when the server's lost routes did. */
  consumer: string;
}

/** The public `NatsConnection` calls the guard makes. */
export interface MovableConnection {
  reconnect(): Promise<void>;
  rtt(): Promise<number>;
  /** The servers the connected one announces (`connect_urls`: itself and those it has routes to). */
  readonly info?: { connect_urls?: string[] };
  /** The client's server pool (given and learned). */
  getServers(): ReadonlyArray<unknown>;
  /** The server connected to (`host:port`): the one a move leaves. */
  getServer?(): string;
  isClosed(): boolean;
}

export interface LeaderGuardOptions {
  /** Failed checks in a row before a move. Default 2. */
  minFailures?: number;
  /** How long the checks must have failed (from the first one's start) before a move, in ms. Default 2500. */
  suspectMs?: number;
  /** How long the checks must have failed before a move when the server still has routes, in ms. Default 10000. */
  lostMs?: number;
  /** How long the server must announce only itself (its routes lost) before a move, in ms. Default 1000 (the poll is every second). */
  cutOffMs?: number;
  /** No second move within this time, in ms. Default 30000. */
  cooldownMs?: number;
  /** How long the PING of a suspect connection may take, in ms. Default 2000. */
  pingTimeoutMs?: number;
}

export const LEADER_GUARD_DEFAULTS = { minFailures: 2, suspectMs: 2_500, lostMs: 10_000, cutOffMs: 1_000, cooldownMs: 30_000, pingTimeoutMs: 2_000 } as const;

interface Suspicion {
  failures: number;
  since: number;
  /** The last check said: no leader (answered, or not answered at all). */
  leaderless: boolean;
}

export class LeaderGuard {
  private readonly suspects = new Map<string, Suspicion>();
  private readonly settings: Required<LeaderGuardOptions>;
  private lastMove = Number.NEGATIVE_INFINITY;
  /** Since when the server announces only itself (undefined while it announces others). */
  private cutOffSince?: number;
  private moving = false;
  private readonly listeners = new Set<(event: RecoveryEvent) => void>();
  private readonly reconnectListeners = new Set<() => void>();

  /** `clock`: milliseconds, monotonic (tests pass their own). */
  constructor(
    private readonly nc: MovableConnection,
    private readonly log: (line: string) => void,
    options: LeaderGuardOptions = {},
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.settings = { ...LEADER_GUARD_DEFAULTS, ...options };
  }

  /**
   * Looks at the servers the connected one announces (it sends a new INFO when its routes change):
   * a server that announces only itself for `cutOffMs` while the client knows others has lost its
   * routes, whatever its consumers' pulls say (a leader cut off with it may go on sending idle
   * heartbeats and no message). Call every second or so; `watch()` does.
   */
  async poll(): Promise<void> {
    if (!this.cutOff() || this.nc.isClosed()) {
      this.cutOffSince = undefined;
      return;
    }
    const now = this.clock();
    this.cutOffSince ??= now;
    const { cutOffMs, cooldownMs } = this.settings;
    if (this.moving || now - this.cutOffSince < cutOffMs || now - this.lastMove < cooldownMs || this.nc.getServers().length < 2) return;
    if (!(await this.answered(this.nc.rtt()))) return;
    await this.move('', `the server has announced no other server for ${Math.round((now - this.cutOffSince) / 1000)} s (its routes are lost)`);
  }

  /** Polls every `intervalMs` until the connection closes (an unref'd timer). */
  watch(intervalMs = 1_000): void {
    const timer = setInterval(() => (this.nc.isClosed() ? clearInterval(timer) : void this.poll()), intervalMs);
    timer.unref();
  }

  /** Calls `listener` after every reconnect of the connection (the pullers check their consumers); returns the unsubscribe. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  /** The connection reconnected (`startLeaderGuard` reports the client's `reconnect` statuses). */
  reconnected(): void {
    for (const l of this.reconnectListeners) l();
  }

  /** Calls `listener` for every recovery (the metrics' counter, the server's `recovery` event). */
  onRecovery(listener: (event: RecoveryEvent) => void): void {
    this.listeners.add(listener);
  }

  /** A consumer's pulling was recovered without a move (a pull re-issued, the consumer put back). */
  recovered(consumer: string, cause: Exclude<RecoveryCause, 'connection_moved'>): void {
    this.emit({ cause, consumer });
  }

  /** The consumers whose last check found no leader (or got no answer), with how long, in ms: the readiness reason. */
  waitingForLeader(): { consumer: string; forMs: number }[] {
    const now = this.clock();
    return [...this.suspects].filter(([, s]) => s.leaderless).map(([consumer, s]) => ({ consumer, forMs: Math.round(now - s.since) }));
  }

  /** Whether `consumer`'s last check found no leader (or got no answer): readiness names it until one finds a leader. */
  waitsForLeader(consumer: string): boolean {
    return this.suspects.get(consumer)?.leaderless ?? false;
  }

  /** A puller's check of `consumer`, begun at `startedAt` (the clock's ms); resolves after a move it caused (if any). */
  async report(consumer: string, check: LeaderCheck, startedAt = this.clock()): Promise<void> {
    if (check === 'leader') {
      this.suspects.delete(consumer);
      return;
    }
    const now = this.clock();
    const s = this.suspects.get(consumer) ?? { failures: 0, since: startedAt, leaderless: true };
    s.failures++;
    s.leaderless = true;
    this.suspects.set(consumer, s);
    if (await this.shouldMove(s, now))
      await this.move(
        consumer,
        `${s.failures} checks over ${Math.round((now - s.since) / 1000)} s found no leader through this server while it answers PINGs (${this.cutOff() ? 'it has no route to the other servers' : 'for longer than an election'})`,
      );
  }

  private async shouldMove(s: Suspicion, now: number): Promise<boolean> {
    const { minFailures, suspectMs, lostMs, cooldownMs } = this.settings;
    if (this.moving || this.nc.isClosed()) return false;
    if (s.failures < minFailures || now - s.since < suspectMs || now - this.lastMove < cooldownMs) return false;
    if (this.nc.getServers().length < 2) return false;
    if (!this.cutOff() && now - s.since < lostMs) return false;
    // The server itself must answer: if it does not, the client is reconnecting already.
    return this.answered(this.nc.rtt());
  }

  /** The server announces no other server: it lost its routes (or every other node is down). */
  private cutOff(): boolean {
    return (this.nc.info?.connect_urls?.length ?? 0) <= 1;
  }

  /** Whether `request` succeeds within the PING timeout. */
  private async answered(request: Promise<unknown>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), this.settings.pingTimeoutMs)));
    try {
      return await Promise.race([request.then(() => true as const), timeout]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
      request.catch(() => undefined);
    }
  }

  private async move(consumer: string, why: string): Promise<void> {
    this.moving = true;
    this.lastMove = this.clock();
    this.log(`${consumer ? `Consumer ${consumer}: ` : ''}${why}; moving the connection to another server of the cluster`);
    try {
      // Left for another server: the client would otherwise dial the first of its pool, often this one.
      avoidOnReconnect(this.nc, this.nc.getServer?.() ?? '');
      await this.nc.reconnect();
      this.suspects.clear();
      this.cutOffSince = undefined;
      this.emit({ cause: 'connection_moved', consumer });
    } catch (err) {
      this.log(`Could not move the connection: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.moving = false;
    }
  }

  private emit(event: RecoveryEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // a listener's failure is its own
      }
    }
  }
}

/** A server's guard on its connection, its recoveries forwarded to `emit` (the `recovery` event) and its moves logged. */
export function startLeaderGuard(
  nc: MovableConnection & { status(): AsyncIterable<{ type: string }> },
  logger: { warn?(message: string): void },
  emit: (event: RecoveryEvent) => void,
): LeaderGuard {
  const guard = new LeaderGuard(nc, (line) => logger.warn?.(line));
  guard.onRecovery(emit);
  guard.watch();
  void (async () => {
    for await (const s of nc.status()) if (s.type === 'reconnect') guard.reconnected();
  })().catch(() => undefined);
  return guard;
}
