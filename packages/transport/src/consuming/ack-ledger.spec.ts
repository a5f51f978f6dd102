import type { JsMsg } from '@nats-io/jetstream';
import { fakeJsMsg, type FakeJsMsg } from '../__fixtures__/fake-js-msg.js';
import { ACK_BATCH_MAX, AckLedger } from './ack-ledger.js';

/** A message whose ack and working() throw, as nats.js does once the connection is closed. */
function closedConnectionMsg(streamSequence: number): FakeJsMsg {
  const msg = fakeJsMsg({ streamSequence });
  const closed = () => {
    throw new Error('CONNECTION_CLOSED');
  };
  return Object.assign(msg, { ack: closed, working: closed });
}

describe('AckLedger', () => {
  it('acks the rest of a batch when one ack throws, and reports the first failure only', () => {
    const failures: string[] = [];
    const ledger = new AckLedger(10, (what, msg, err) => failures.push(`${what} ${msg.info.streamSequence}: ${String(err)}`));
    const before = fakeJsMsg({ streamSequence: 1 });
    const after = fakeJsMsg({ streamSequence: 4 });
    for (const msg of [before, closedConnectionMsg(2), closedConnectionMsg(3), after]) ledger.ack(msg);
    expect(() => ledger.stop()).not.toThrow();
    expect(before.settles).toEqual([{ action: 'ack' }]);
    expect(after.settles).toEqual([{ action: 'ack' }]);
    expect(failures).toEqual(['ack 2: Error: CONNECTION_CLOSED']);
  });

  it('sends acks at the end of the turn, or at once when ACK_BATCH_MAX are gathered (no burst held until then)', async () => {
    const ledger = new AckLedger(10, () => undefined);
    const msgs = Array.from({ length: ACK_BATCH_MAX + 1 }, (_, i) => fakeJsMsg({ streamSequence: i + 1 }));
    for (const msg of msgs.slice(0, ACK_BATCH_MAX - 1)) ledger.ack(msg);
    expect(msgs.filter((m) => m.settles.length > 0)).toHaveLength(0);
    ledger.ack(msgs[ACK_BATCH_MAX - 1]);
    expect(msgs.slice(0, ACK_BATCH_MAX).every((m) => m.settles.length === 1)).toBe(true);
    ledger.ack(msgs[ACK_BATCH_MAX]);
    expect(msgs[ACK_BATCH_MAX].settles).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(msgs[ACK_BATCH_MAX].settles).toEqual([{ action: 'ack' }]);
    // Where a recreated consumer resumes: after the last one acked.
    expect(ledger.resumePoint([])).toBe(ACK_BATCH_MAX + 2);
    ledger.stop();
  });

  it('reports, not raises, a working() that throws (the sweep runs in a timer)', () => {
    const failures: string[] = [];
    const ledger = new AckLedger(10, (what) => failures.push(what));
    expect(() => ledger.working(closedConnectionMsg(1))).not.toThrow();
    const alive = fakeJsMsg({ streamSequence: 2 });
    ledger.working(alive);
    expect(alive.settles).toEqual([{ action: 'working' }]);
    expect(failures).toEqual(['extend the ack deadline of']);
  });

  it('keeps only the latest maxAckPending naked sequences: naks redelivered to other instances age out', () => {
    const ledger = new AckLedger(3, () => undefined);
    const naked: JsMsg[] = [1, 2, 3, 4, 5, 6].map((streamSequence) => fakeJsMsg({ streamSequence }));
    for (const msg of naked) ledger.naked(msg);
    expect(ledger.nakedKept).toBe(3);
    // A recreated consumer starts at the oldest nak still kept, not at the first one ever seen.
    expect(ledger.resumePoint([])).toBe(4);
    ledger.received(naked[3]);
    expect(ledger.resumePoint([])).toBe(5);
  });
});
