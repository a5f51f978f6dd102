// The server's own share of a pause: how long the cluster took to elect the leaders the app needs
// after a fault. Every stream and consumer election of the FAULTS stream is announced as a
// LEADER_ELECTED advisory; one connection per node listens (a node that dies takes its
// connection with it, the others still hear), and each advisory counts once, at its first arrival.
// An election's time is from the latest node stop before it (a SIGKILL, or one step of a rolling
// restart) to the advisory; a fault's election time is the longest of them, 0 when no leader had
// to be elected (a follower that led nothing). Every election until the report counts: one may
// come after publishing ended and the killed node was restarted (a consumer's leader on a killed
// follower took 5 to 7 s to be replaced), while handling still waited for it.
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';

const SUBJECTS = ['$JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED.FAULTS', '$JS.EVENT.ADVISORY.CONSUMER.LEADER_ELECTED.FAULTS.>'];

export class ElectionClock {
  private readonly connections: NatsConnection[] = [];
  /** Advisory id → when it first arrived, and what was elected. */
  private readonly elected = new Map<string, { at: number; what: string }>();
  private readonly stops: number[] = [];

  /** Listens on every node of `urls` (each connection pinned to its node). */
  static async listen(urls: string[]): Promise<ElectionClock> {
    const clock = new ElectionClock();
    for (const url of urls) {
      const nc = await connect({ servers: [url], noRandomize: true, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
      clock.connections.push(nc);
      for (const subject of SUBJECTS)
        nc.subscribe(subject, {
          callback: (err, msg) => {
            if (err) return;
            const at = Date.now();
            const a = msg.json<{ id?: string; stream?: string; consumer?: string; leader?: string }>();
            const id = a.id ?? `${msg.subject}@${at}`;
            if (clock.elected.has(id)) return;
            clock.elected.set(id, { at, what: `${a.consumer ? `consumer ${a.consumer}` : `stream ${a.stream}`} leader elected: ${a.leader}` });
          },
        });
      await nc.flush();
    }
    return clock;
  }

  /** A node is being stopped now. */
  stopping(at = Date.now()): void {
    this.stops.push(at);
  }

  /** The longest election after a stop, among the advisories up to `until` (ms since epoch); 0 without one. */
  electionMs(until = Date.now()): number {
    let longest = 0;
    for (const { at } of this.elected.values()) {
      const stop = this.stops.filter((s) => s <= at).at(-1);
      if (stop !== undefined && at <= until) longest = Math.max(longest, at - stop);
    }
    return longest;
  }

  /** The elections after the first stop, for the timeline (name → ms since epoch). */
  marks(): Record<string, number> {
    const first = this.stops[0] ?? Number.POSITIVE_INFINITY;
    const out: Record<string, number> = {};
    let i = 0;
    for (const { at, what } of this.elected.values()) if (at >= first) out[`${what} (#${++i})`] = at;
    return out;
  }

  async close(): Promise<void> {
    for (const nc of this.connections) await nc.close().catch(() => undefined);
  }
}
