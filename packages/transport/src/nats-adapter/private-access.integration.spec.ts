import { AckPolicy, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { deliveryAttempt, drainPulls, interceptPulls, type PullRequest } from './private-access.js';

// Pins every private nats.js access of private-access.ts against the installed @nats-io/jetstream
// and a real nats-server: the member exists and behaves as the library relies on. The first
// nats.js release that renames or changes one fails here (see the upstream note in the file).

describe('nats-adapter: the private nats.js members we rely on (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('PRIV');
  let n = 0;

  beforeAll(async () => {
    await h.start();
    await h.jsm.streams.add({ name: stream, subjects: [`${stream.toLowerCase()}.>`] });
  });
  afterAll(() => h.stop());

  /** A fresh durable on its own subject with `count` messages. */
  async function consumerWith(count: number) {
    const subject = `${stream.toLowerCase()}.s${++n}`;
    const durable = `d${n}`;
    await h.jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, filter_subject: subject, ack_wait: 30_000_000_000 });
    for (let i = 0; i < count; i++) await h.js.publish(subject, JSON.stringify({ i }));
    return { consumer: await h.js.consumers.get(stream, durable), durable };
  }

  it('JsMsg.reply: the delivery count read from the ack subject equals info.deliveryCount, on a first delivery and a redelivery', async () => {
    const { consumer } = await consumerWith(1);
    const first = await consumer.next({ expires: 5_000 });
    expect(first).not.toBeNull();
    expect((first as JsMsg & { reply?: unknown }).reply).toEqual(expect.stringMatching(/^\$JS\.ACK\./));
    expect(deliveryAttempt(first!)).toBe(1);
    expect(deliveryAttempt(first!)).toBe(first!.info.deliveryCount);
    first!.nak();
    const again = await consumer.next({ expires: 5_000 });
    expect(deliveryAttempt(again!)).toBe(2);
    expect(again!.info.deliveryCount).toBe(2);
    again!.ack();
  });

  it('ConsumerMessages.pull: every refill of consume() goes through it; a held or resized pull keeps the client counting right', async () => {
    const { consumer, durable } = await consumerWith(20);
    const received: JsMsg[] = [];
    const requests: number[] = [];
    let release: (() => void) | undefined;
    const messages: ConsumerMessages = await consumer.consume({
      max_messages: 4,
      threshold_messages: 100,
      // Long: the refills are held, and a pull that expires while held would make the client
      // reset its count (missed heartbeats) and offer a pull of its own, changing `requests`.
      expires: 30_000,
      callback: (m) => void received.push(m),
    });
    // The first pull (4) went out in consume() itself, before anyone could intercept it.
    expect(
      interceptPulls(messages, (request: PullRequest, send) => {
        requests.push(request.batch);
        // Hold every refill until released, then send one of 3.
        release = () => send(request, 3);
      }),
    ).toBe(true);
    try {
      await waitFor('the first pull of 4 to be delivered', () => received.length === 4);
      // A refill was offered after each message, with batch = max_messages - what the client still waits for.
      expect(requests).toEqual([1, 2, 3, 4]);
      // Held: the server delivered nothing more and holds nothing else for us.
      const held = await h.jsm.consumers.info(stream, durable);
      expect(held.num_ack_pending).toBe(4);
      expect(held.num_waiting).toBe(0);
      release!();
      await waitFor('the resized pull of 3 to be delivered', () => received.length === 7);
      // The client counted the 3 it sent: after them it offers a refill of max_messages - 2, then - 1, then - 0
      // (pending 2, 1, 0) and never asked for more on its own.
      expect(requests.slice(4)).toEqual([2, 3, 4]);
      expect((await h.jsm.consumers.info(stream, durable)).num_ack_pending).toBe(7);
    } finally {
      for (const m of received) m.ack();
      await messages.close();
    }
  });

  it('ConsumerMessages.sub: draining it ends the consume() once what the server sent was delivered', async () => {
    const { consumer } = await consumerWith(5);
    const received: JsMsg[] = [];
    const messages = await consumer.consume({ max_messages: 5, expires: 5_000, callback: (m) => void received.push(m) });
    await waitFor('the 5 messages', () => received.length === 5);
    expect(await drainPulls(messages)).toBe(true);
    // Drained: the client stops the consume by itself, and a second drain finds nothing to drain.
    await messages.closed();
    expect(await drainPulls(messages)).toBe(false);
    for (const m of received) m.ack();
  });
});
