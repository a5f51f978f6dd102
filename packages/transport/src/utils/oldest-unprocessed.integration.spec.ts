import { AckPolicy } from '@nats-io/jetstream';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { ageMs, oldestUnprocessed } from './oldest-unprocessed.js';

// The oldest unprocessed message of a consumer whose stream it shares with other subjects: the
// first of its own subject after its ack floor, not whatever message follows the floor (which made
// a filtered consumer's lag age that of another subject's old message).

describe('oldestUnprocessed (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('SHARED');

  beforeAll(async () => {
    await h.start();
    await h.jsm.streams.add({ name: stream, subjects: ['shared.>'] });
  });
  afterAll(() => h.stop());

  it("is the first message of the consumer's subject after its ack floor", async () => {
    await h.js.publish('shared.other', 'old, not ours');
    const first = await h.js.publish('shared.mine', 'ours 1');
    await h.js.publish('shared.other', 'not ours either');
    const second = await h.js.publish('shared.mine', 'ours 2');
    await h.jsm.consumers.add(stream, { durable_name: 'mine', filter_subject: 'shared.mine', ack_policy: AckPolicy.Explicit });

    let info = await h.jsm.consumers.info(stream, 'mine');
    expect((await oldestUnprocessed(h.jsm, stream, 'shared.mine', info))?.seq).toBe(first.seq);

    const consumer = await h.js.consumers.get(stream, 'mine');
    const msg = (await consumer.next({ expires: 5_000 }))!;
    expect(msg.seq).toBe(first.seq);
    await msg.ackAck();
    info = await h.jsm.consumers.info(stream, 'mine');
    const oldest = await oldestUnprocessed(h.jsm, stream, 'shared.mine', info);
    expect(oldest?.seq).toBe(second.seq);
    expect(ageMs(oldest, oldest!.time.getTime() + 1500)).toBe(1500);

    const last = (await consumer.next({ expires: 5_000 }))!;
    await last.ackAck();
    expect(await oldestUnprocessed(h.jsm, stream, 'shared.mine', await h.jsm.consumers.info(stream, 'mine'))).toBeNull();
    expect(ageMs(null)).toBe(0);
  });
});
