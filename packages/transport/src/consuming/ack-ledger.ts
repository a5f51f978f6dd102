import type { JsMsg } from '@nats-io/jetstream';

/**
 * A consumer runner's acks and where it stands in its stream. Acks of handlers that finish in
 * different microtasks would each flush a socket write; gathered until the end of the event-loop
 * turn they leave together (less CPU per message). It also keeps what a consumer deleted while the
 * app runs needs to start again: the last sequence acked, and the sequences naked and not yet
 * received again (bounded by maxAckPending).
 */
export class AckLedger {
  private acks: JsMsg[] = [];
  private flushing?: NodeJS.Immediate;
  /** Highest stream sequence acked (approximately: the last of each flushed batch). */
  private ackedUpTo = 0;
  private readonly nakedSeqs = new Set<number>();

  /** Acks `msg` at the end of this event-loop turn. */
  ack(msg: JsMsg): void {
    this.acks.push(msg);
    this.flushing ??= setImmediate(this.flush);
  }

  /** `msg` was naked: it comes back, and a recreated consumer must start no later than it. */
  naked(msg: JsMsg): void {
    this.nakedSeqs.add(msg.info.streamSequence);
  }

  /** A message arrived (again). */
  received(msg: JsMsg): void {
    if (this.nakedSeqs.size > 0) this.nakedSeqs.delete(msg.info.streamSequence);
  }

  /** Sends the acks gathered so far, now (the runner closes). */
  stop(): void {
    clearImmediate(this.flushing);
    this.flush();
  }

  /**
   * Where a consumer deleted while the app runs should start again: the lowest sequence this
   * process still holds (`unsettled`) or naked for redelivery, else after the last one it acked;
   * undefined before it received anything.
   */
  resumePoint(unsettled: Iterable<JsMsg>): number | undefined {
    let from = this.ackedUpTo > 0 ? this.ackedUpTo + 1 : Infinity;
    for (const msg of unsettled) from = Math.min(from, msg.info.streamSequence);
    for (const seq of this.nakedSeqs) from = Math.min(from, seq);
    return Number.isFinite(from) ? from : undefined;
  }

  private readonly flush = (): void => {
    const acks = this.acks;
    this.acks = [];
    this.flushing = undefined;
    for (const msg of acks) msg.ack();
    // One parse per flush, not per message: where a recreated consumer may resume.
    const last = acks[acks.length - 1];
    if (last) {
      const seq = last.info.streamSequence;
      if (seq > this.ackedUpTo) this.ackedUpTo = seq;
    }
  };
}
