/** How the puller pulls (consuming/message-puller.ts): its pulls' expiry and heartbeats, and what it logs. */

/** The longest wait between two attempts to put a deleted consumer back, in ms. */
export const HEAL_RETRY_MAX_MS = 5000;
// Short pulls: a deleted consumer or a lost pull is noticed within two idle heartbeats (half of this each); the
// fault suite paused handling up to 19 s with 10 s (mean 7.9 s, 12 faults), up to 11.5 s with 5 s (mean 5.3 s).
export const PULL_EXPIRES_MS = 5_000;
export const ORDERED_PULL_EXPIRES_MS = 2_000;
/**
 * Idle heartbeats: the client's default, half the expiry (a heartbeat longer than an ordered pull's 2 s expiry breaks
 * the ordered consumer's reset). Tried at 1 s (#26): a lost pull was noticed after 2 s, but then mid-election, when the
 * client's own consumer info fails and it backs off up to the expiry before pulling again: the stream leader's SIGKILL
 * paused handling 8.8 s on average over 10 faults, against 4.7 s with the default (docs/reliability.md).
 */
export const IDLE_HEARTBEAT_SHARE = 0.5;
/**
 * With a window, the client offers a refill after every message whatever it believes is pending:
 * after an ordered consumer's reset its count still holds what the dead consumer was asked for,
 * and a lower threshold would stop it offering while the window wants to pull (see `stale` in the puller).
 */
export const OFFER_EVERY_MESSAGE = Number.MAX_SAFE_INTEGER;
/** The statuses of every pull (not logged at debug level, which has a line for the others). */
export const ROUTINE_STATUSES: ReadonlySet<string> = new Set(['next', 'heartbeat', 'discard', 'debug']);
/** The work, in handler time at the measured rate, that pulled and not yet started messages may amount to. */
export const PREFETCH_BUDGET_MS = 1_000;
