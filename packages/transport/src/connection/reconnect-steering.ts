import type { ReconnectToServerHandler, Server } from '@nats-io/nats-core';

/**
 * Steers the client's next reconnect away from the server the leader guard leaves.
 *
 * `nc.reconnect()` drops the connection and lets the client pick the next server of its pool; the
 * client takes its pool's first entry, and after the first connect (which does not rotate the
 * pool) that entry is the server it was on. A move off a node cut off from the cluster then
 * landed on that node again and the pause lasted until the next move, 30 s later (the fault
 * suite's partition with the app on the cut-off node, #26). The guard names the server it leaves
 * (`avoid`), and the connection's `reconnectToServer` handler (nats.js 3.4's public option, set
 * by `openConnection`) dials another server of the pool for that one reconnect; every other
 * attempt goes to the app's own handler, or to the client's choice.
 */
export class ReconnectSteering {
  /** The server (`host:port`, the pool's `listen`) the next reconnect must not go to. */
  private avoiding?: string;

  /** `own`: the app's `connection.reconnectToServer`, asked whenever no server is being left. */
  constructor(private readonly own?: ReconnectToServerHandler) {}

  /** The next reconnect goes to another server than `listen` (when the pool has one). */
  avoid(listen: string): void {
    this.avoiding = listen || undefined;
  }

  /** The handler for `connection.reconnectToServer`. */
  readonly handler: ReconnectToServerHandler = (pool, info) => {
    const leaving = this.avoiding;
    this.avoiding = undefined;
    const other: Server | undefined = leaving === undefined ? undefined : pool.find((s) => s.listen !== leaving);
    if (other) return other;
    return this.own ? this.own(pool, info) : null;
  };
}

const steerings = new WeakMap<object, ReconnectSteering>();

/** Ties a steering to its connection (`openConnection` does). */
export function attachSteering(nc: object, steering: ReconnectSteering): void {
  steerings.set(nc, steering);
}

/** The next reconnect of `nc` goes to another server than `listen`; a no-op for a connection without a steering. */
export function avoidOnReconnect(nc: object, listen: string): void {
  steerings.get(nc)?.avoid(listen);
}
