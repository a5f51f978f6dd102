import { z } from 'zod';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { PublishValidationError } from './payload-validation.error.js';

// Validation on publish (contract.publishes[].validate), against a real server: a payload that
// matches its subject's schema is stored as it was given; one that does not is refused before
// anything is sent (the stream does not grow), naming the failing field; a subject with no
// validated contract is not checked.
describe('payload schemas on publish (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('PUBSCHEMA');
  const prefix = stream.toLowerCase();
  const Order = z.object({ id: z.string(), qty: z.number().int().min(1) });
  let client: JetStreamClient;

  beforeAll(async () => {
    await h.start();
    client = new JetStreamClient({
      connection: { servers: h.server.url },
      streams: [{ name: stream, subjects: [`${prefix}.>`] }],
      contract: {
        publishes: [
          { subject: `${prefix}.orders.*`, schema: Order, validate: true },
          { subject: `${prefix}.documented`, schema: Order },
        ],
      },
    });
    await client.connect();
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await h.stop();
  });

  const stored = async () => (await h.jsm.streams.info(stream)).state.messages;

  it('stores a valid payload as given, and refuses an invalid one before sending it', async () => {
    const ack = await client.publish(`${prefix}.orders.eu`, { id: 'o-1', qty: 2 });
    expect(ack.stream).toBe(stream);
    const before = await stored();
    const refused = client.publish(`${prefix}.orders.us`, { id: 'o-2', qty: 0 });
    await expect(refused).rejects.toBeInstanceOf(PublishValidationError);
    await expect(refused).rejects.toThrow(/qty: .*Nothing was sent/);
    // emit() goes through the same check.
    await expect(
      new Promise((resolve, reject) => client.emit(`${prefix}.orders.us`, { id: 3 }).subscribe({ next: resolve, error: reject })),
    ).rejects.toBeInstanceOf(PublishValidationError);
    expect(await stored()).toBe(before);
    const msg = await h.jsm.streams.getMessage(stream, { seq: ack.seq });
    expect(msg?.json()).toEqual({ id: 'o-1', qty: 2 });
  });

  it('refuses a whole batch before sending when one of its payloads is invalid', async () => {
    const before = await stored();
    await expect(
      client.publishBatch([
        { subject: `${prefix}.orders.eu`, data: { id: 'b-1', qty: 1 } },
        { subject: `${prefix}.orders.eu`, data: { id: 'b-2', qty: -1 } },
      ]),
    ).rejects.toBeInstanceOf(PublishValidationError);
    expect(await stored()).toBe(before);
  });

  it('does not check a subject whose contract does not ask for it', async () => {
    await expect(client.publish(`${prefix}.documented`, { anything: true })).resolves.toMatchObject({ stream });
  });

  it('refuses validate: true without a schema at construction, naming the entry', () => {
    expect(() => new JetStreamClient({ contract: { publishes: [{ subject: 'a.b', validate: true }] } })).toThrow(JetStreamConfigError);
    expect(() => new JetStreamClient({ contract: { publishes: [{ subject: 'a.b', validate: true }] } })).toThrow(
      /publishes\[0\] \('a\.b'\) has validate: true but no schema/,
    );
  });
});
