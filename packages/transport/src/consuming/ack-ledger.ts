import type { JsMsg } from '@nats-io/jetstream';

/**
 * A consumer runner's acks and where it stands in its stream. Acks of handlers that finish in
 * different microtasks would each flush a socket write; gathered until the end of the event-loop
 * turn they leave together (less CPU per message). It also keeps what a consumer deleted while the
 * app runs needs to start again: the last sequence acked, and the sequences naked and not yet
 * received again. On a shared consumer the redelivery of a nak often goes to another instance, so
 * this one may never see it again: the naked sequences kept are the latest `nakedLimit`
 * (the consumer's maxAckPending: no more can be awaiting redelivery at once), the oldest dropped.
 */
export class AckLedger {
  private acks: JsMsg[] = [];
  private flushing?: NodeJS.Immediate;
  /** Highest stream sequence acked (approximately: the last of each flushed batch). */
  private ackedUpTo = 0;
  /** In the order naked: the first is the oldest. */
  private readonly nakedSeqs = new Set<number>();
  private sendFailed = false;
  /** How many naked sequences are kept: `nakedLimit`, at least 1 (computed once, not per nak). */
  private readonly nakedKeep: number;

  /**
   * @param nakedLimit how many naked sequences to keep (at least 1).
   * @param sendFailure told of the first ack or `working()` that throws (the connection closed); later ones are not reported.
   */
  constructor(
    nakedLimit: number,
    private readonly sendFailure: (what: 'ack' | 'extend the ack deadline of', msg: JsMsg, error: unknown) => void,
  ) {
    this.nakedKeep = Math.max(1, nakedLimit);
  }

  /** Extends `msg`'s ack deadline now (the runner's sweep); a throw is reported, not raised (it runs in a timer). */
  working(msg: JsMsg): void {
    this.send(msg, 'extend the ack deadline of');
  }

  /**
   * Acks `msg` at the end of this event-loop turn, or now with the others gathered once they are
   * `ACK_BATCH_MAX`: a turn that reads a burst would otherwise hold every message of it until the
   * end of the turn, and V8 grows its young generation for what survives its scavenges.
   */
  ack(msg: JsMsg): void {
    const acks = this.acks;
    acks.push(msg);
    if (acks.length >= ACK_BATCH_MAX) this.sendAcks();
    else this.flushing ??= setImmediate(this.flush);
  }

  /** `msg` was naked: it comes back, and a recreated consumer must start no later than it. */
  naked(msg: JsMsg): void {
    const seq = msg.info.streamSequence;
    this.nakedSeqs.delete(seq);
    this.nakedSeqs.add(seq);
    if (this.nakedSeqs.size > this.nakedKeep) {
      const oldest = this.nakedSeqs.values().next();
      if (!oldest.done) this.nakedSeqs.delete(oldest.value);
    }
  }

  /** A message arrived (again). */
  received(msg: JsMsg): void {
    if (this.nakedSeqs.size > 0) this.nakedSeqs.delete(msg.info.streamSequence);
  }

  /** How many naked sequences are kept (for tests and diagnostics). */
  get nakedKept(): number {
    return this.nakedSeqs.size;
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

  private send(msg: JsMsg, what: 'ack' | 'extend the ack deadline of'): void {
    try {
      if (what === 'ack') msg.ack();
      else msg.working();
    } catch (error) {
      if (!this.sendFailed) this.sendFailure(what, msg, error);
      this.sendFailed = true;
    }
  }

  private readonly flush = (): void => {
    this.flushing = undefined;
    this.sendAcks();
  };

  private sendAcks(): void {
    const acks = this.acks;
    if (acks.length === 0) return;
    this.acks = [];
    // Each ack on its own: one that throws (nats.js throws once the connection is closed) must
    // neither drop the rest of the batch nor escape setImmediate as an uncaught exception.
    for (const msg of acks) this.send(msg, 'ack');
    // One parse per flush, not per message: where a recreated consumer may resume.
    const last = acks[acks.length - 1];
    if (last) {
      const seq = last.info.streamSequence;
      if (seq > this.ackedUpTo) this.ackedUpTo = seq;
    }
  }
}

/**
 * The most acks gathered before they are sent: one socket write for this many acks (the client
 * writes what a synchronous run queued at once), and no more received messages held for them.
 */
export const ACK_BATCH_MAX = 128;
