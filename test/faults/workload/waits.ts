// The consumer's share of a pause in handling: how long a message the stream had stored waited while
// no handler ran. A pause in handler calls while nothing was stored is the publishers' (their PubAcks
// paused too, `publishPauseMs`): the fault report judges the consumer by this share.

/** One message's handler calls (ms since epoch) and when the stream stored it (its timestamp). */
export interface HandledMessage {
  at: number[];
  storedAt: number;
  /** The delivery count of each call (the same order as `at`). */
  deliveries?: number[];
}

/**
 * For each pause in handler calls from `t` on (from `t` or a call to the next call), the time a stored
 * message waited in it: from the later of the pause's start and the earliest store among the messages
 * first handled at its end or later. The longest of them; undefined with no call from `t` on. Only
 * first calls count as waiting: a message handled before the pause and redelivered after it (its
 * settle lost) is not, so in a scenario that kills the consumer mid-handler read the pause itself.
 */
export function longestWait(t: number, messages: Iterable<HandledMessage>): number | undefined {
  return longestWaitingPause(t, messages)?.waitMs;
}

/** A pause in handling and how long a stored message waited in it. */
export interface WaitingPause {
  /** When it ended (ms since epoch). */
  to: number;
  waitMs: number;
  /**
   * The call that ended it was a message's first call with a delivery count over 1: a delivery that never reached the
   * handler (lost in flight with the app's connection), so the server sent it again after `ackWait`.
   */
  endedByRedelivery: boolean;
}

/** The pause `longestWait` measures. */
export function longestWaitingPause(t: number, messages: Iterable<HandledMessage>): WaitingPause | undefined {
  const all = [...messages];
  const times = all.flatMap((m) => m.at.filter((a) => a >= t)).sort((a, b) => a - b);
  if (times.length === 0) return undefined;
  // By first call; earliestStore[i]: the earliest store among the messages from index i on.
  const firsts = all.map((m) => ({ first: Math.min(...m.at), storedAt: m.storedAt })).sort((a, b) => a.first - b.first);
  const earliestStore = new Array<number>(firsts.length + 1).fill(Number.POSITIVE_INFINITY);
  for (let i = firsts.length - 1; i >= 0; i--) earliestStore[i] = Math.min(earliestStore[i + 1], firsts[i].storedAt);
  /** The earliest store among the messages first handled at `to` or later. */
  const waitingSince = (to: number): number => {
    let lo = 0;
    let hi = firsts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (firsts[mid].first < to) lo = mid + 1;
      else hi = mid;
    }
    return earliestStore[lo];
  };
  let longest = { to: times[0], waitMs: 0 };
  let from = t;
  for (const to of times) {
    const waitMs = to - Math.max(from, waitingSince(to));
    if (waitMs > longest.waitMs) longest = { to, waitMs };
    from = to;
  }
  // Calls are recorded in order: at[0] and deliveries[0] are a message's first call.
  const endedByRedelivery = all.some((m) => m.at[0] === longest.to && (m.deliveries?.[0] ?? 1) > 1);
  return { ...longest, endedByRedelivery };
}
