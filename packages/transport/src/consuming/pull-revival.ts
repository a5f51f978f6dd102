/**
 * Notices a `consume()` that stopped pulling after an election, so the puller can pull again at
 * once instead of waiting out the client's back-off.
 *
 * After two missed idle heartbeats (or a reconnect) nats.js 3 asks for the consumer's info and
 * pulls again once it answers; when the info fails (mid-election, or the consumer has no leader
 * yet) it waits a back-off jittered around the pull's expiry (2.5 to 7.5 s for a 5 s pull) before
 * it asks again. The fault suite's timelines (FAULT_TRACE=1, #26) showed handling resume that long
 * after the new leader was there. The puller checks the consumer itself after each missed
 * heartbeat, then every second while the client has not pulled (after a reconnect, whose re-pull
 * goes through the same look-up and back-off, or a check that found no leader): when a check finds it with a leader and, {@link REVIVE_GRACE_MS} later, the client
 * has still sent no pull since its heartbeats went missing, the puller starts a new `consume()`
 * and stops the stuck one. Nothing is acknowledged or settled here: a pull the old subscription
 * still had on the server delivers to a closed inbox, and those messages are redelivered after
 * their ackWait (at-least-once holds, nothing acknowledged is lost).
 */

/** While the client has not pulled (after a reconnect, or a check without a leader), the consumer is checked this often, this many times at most. */
export const FOLLOW_UP_EVERY_MS = 1_000;
export const FOLLOW_UP_CHECKS = 15;
/** After that many, while the guard still holds the consumer for leaderless, {@link PullRevival.confirm} checks this often. */
export const CONFIRM_SLOW_EVERY_MS = 5_000;

/** How long after a check found a leader the client gets to pull by itself, in ms. */
export const REVIVE_GRACE_MS = 500;

/** Whether the client has pulled since its heartbeats went missing. */
export class PullRevival {
  private missing = false;
  private pulled = false;
  private following = false;
  private confirming = false;

  /** Every status of the `consume()`: `heartbeats_missed` starts a suspicion, `next` (a pull sent) ends the client's back-off. */
  status(type: string): void {
    // Each time: the client re-pulls (or backs off) after every report of missed heartbeats.
    if (type === 'heartbeats_missed') {
      this.missing = true;
      this.pulled = false;
    } else if (type === 'next') this.pulled = true;
  }

  /** Messages arrive again, or a new `consume()` replaced the stuck one. */
  reset(): void {
    this.missing = false;
    this.pulled = false;
  }

  /** Heartbeats went missing and the client has sent no pull since they last did: it waits out its back-off. */
  stuck(): boolean {
    return this.missing && !this.pulled;
  }

  /** Runs `check` every {@link FOLLOW_UP_EVERY_MS} while `alive()` and the client has not pulled; one loop at a time. */
  async followUp(alive: () => boolean, check: () => Promise<void>): Promise<void> {
    if (this.following) return;
    this.following = true;
    try {
      for (let i = 0; i < FOLLOW_UP_CHECKS && alive() && this.stuck(); i++) {
        await new Promise((r) => setTimeout(r, FOLLOW_UP_EVERY_MS));
        if (alive() && this.stuck()) await check();
      }
    } finally {
      this.following = false;
    }
  }

  /**
   * Runs `check` while `waiting()` (the leader guard holds the consumer for leaderless, and the puller runs), until a
   * check finds a leader: every {@link FOLLOW_UP_EVERY_MS} for {@link FOLLOW_UP_CHECKS} checks, then every
   * {@link CONFIRM_SLOW_EVERY_MS}. The pulling may resume with no check to say so (the client pulls by itself, or an election's re-pull replaces the
   * `consume()`) and, with no message to arrive, readiness would name the consumer for good (a CI run saw 53 s).
   * These checks only clear the suspicion: the puller does not count their failures toward a move (a slow API
   * under a healthy pull must not move the connection). Skipped while {@link followUp} checks; one loop at a time.
   */
  async confirm(waiting: () => boolean, check: () => Promise<void>): Promise<void> {
    if (this.confirming) return;
    this.confirming = true;
    try {
      for (let i = 0; waiting(); i++) {
        await new Promise((r) => setTimeout(r, i < FOLLOW_UP_CHECKS ? FOLLOW_UP_EVERY_MS : CONFIRM_SLOW_EVERY_MS).unref());
        if (waiting() && !this.following) await check();
      }
    } finally {
      this.confirming = false;
    }
  }
}
