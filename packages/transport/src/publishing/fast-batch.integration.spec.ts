// Which cases run depends on the nats-server under test (NATS_SERVER_VERSION): on 2.14+ fast
// batches are stored; on an older server, the error the library gives instead is tested.
import { NatsServer, natsServerBinaryVersion, resolveNatsServerBinary } from '@nest-jetstream/testing';
import { harnessWithClient, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { NoStreamForSubjectError, ProvisioningError } from '../errors/provisioning.error.js';
import { FAST_BATCH_MIN_SERVER } from '../utils/batch-limits.js';
import { computePermissions } from '../permissions/compute-permissions.js';
import { versionAtLeast } from '../utils/server-version.js';
import type { BatchMessage } from './batch-message.js';
import { FastBatchFailedError, FastBatchMixedStreamsError, FastBatchUnsupportedError } from './fast-batch.errors.js';
import { Registry } from 'prom-client';
import { JetStreamMetrics } from '../metrics/jetstream.metrics.js';

const version = natsServerBinaryVersion(resolveNatsServerBinary());

describe(`fast-ingest batches on nats-server ${version}`, () => {
  const spec = harnessWithClient();
  const { h, messagesIn } = spec;

  if (!versionAtLeast(version, FAST_BATCH_MIN_SERVER)) {
    it(`refuses before sending anything, naming the version and ${FAST_BATCH_MIN_SERVER}; a declaration with allowBatched fails at connect`, async () => {
      const stream = uniqueName('OLDFAST');
      await h.jsm.streams.add({ name: stream, subjects: ['oldfast.>'] });
      const err = await spec.client.publishFastBatch([{ subject: 'oldfast.a', data: 1 }]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FastBatchUnsupportedError);
      expect(err).toMatchObject({ code: 'FAST_BATCH_UNSUPPORTED', sent: 0 });
      expect((err as Error).message).toContain(`nats-server ${version} has no fast-ingest batches`);
      expect((err as Error).message).toContain(`Upgrade nats-server to ${FAST_BATCH_MIN_SERVER} or newer`);
      expect(await messagesIn(stream)).toBe(0);
      const declaring = new JetStreamClient({
        connection: { servers: h.server.url },
        streams: [{ name: uniqueName('OLDBATCHED'), subjects: ['oldbatched.>'], allowBatched: true }],
      });
      const boot = await declaring.connect().catch((e: unknown) => e);
      await declaring.close();
      expect(boot).toBeInstanceOf(ProvisioningError);
      expect((boot as Error).message).toContain(`allowBatched (allow_batched, fast-ingest batches) needs nats-server ${FAST_BATCH_MIN_SERVER} or newer`);
    });
    return;
  }

  let stream: string;
  let subject: string;
  beforeAll(async () => {
    stream = uniqueName('FAST');
    subject = stream.toLowerCase();
    // Created without allow_batched, then declared with it: provisioning updates the stream in place.
    await h.jsm.streams.add({ name: stream, subjects: [`${subject}.>`], duplicate_window: 60_000_000_000 });
    const declaring = new JetStreamClient({
      connection: { servers: h.server.url },
      streams: [{ name: stream, subjects: [`${subject}.>`], allowBatched: true, duplicateWindow: '1m' }],
    });
    await declaring.connect();
    await declaring.close();
  });

  it('declaring allowBatched sets allow_batched (and verify then finds nothing to change); a batch is stored in order with its msgIds and headers', async () => {
    expect((await h.jsm.streams.info(stream)).config.allow_batched).toBe(true);
    const verifying = new JetStreamClient({
      connection: { servers: h.server.url },
      provisioning: 'verify',
      streams: [{ name: stream, subjects: [`${subject}.>`], allowBatched: true, duplicateWindow: '1m' }],
    });
    await expect(verifying.connect()).resolves.toBeDefined();
    await verifying.close();
    const before = await messagesIn(stream);
    const ack = await spec.client.publishFastBatch([
      { subject: `${subject}.order`, data: { id: 1 }, msgId: 'fast-order-1', headers: { 'x-kind': 'order' } },
      { subject: `${subject}.line`, data: { id: 1, line: 1 } },
      { subject: `${subject}.line`, data: { id: 1, line: 2 } },
    ]);
    expect(ack).toMatchObject({ stream, count: 3, lastSeq: before + 3, gaps: [] });
    expect(await messagesIn(stream)).toBe(before + 3);
    const first = await h.jsm.streams.getMessage(stream, { seq: before + 1 });
    expect(first?.json()).toEqual({ id: 1 });
    expect(first?.header?.get('Nats-Msg-Id')).toBe('fast-order-1');
    expect(first?.header?.get('x-kind')).toBe('order');
    expect((await h.jsm.streams.getMessage(stream, { seq: ack.lastSeq }))?.json()).toEqual({ id: 1, line: 2 });
    // A single message is a batch too (started and committed at once).
    await expect(spec.client.publishFastBatch([{ subject: `${subject}.one`, data: 'x' }])).resolves.toMatchObject({ count: 1, lastSeq: before + 4 });
  });

  it('flow control: a batch 300 times the flow window (ackInterval 10, one window in flight), from an async producer, is stored whole and in order', async () => {
    const before = await messagesIn(stream);
    const total = 3000;
    let pulled = 0;
    async function* produce(): AsyncGenerator<BatchMessage> {
      for (let i = 0; i < total; i++) {
        pulled++;
        yield { subject: `${subject}.flow`, data: i };
      }
    }
    const ack = await spec.client.publishFastBatch(produce(), { ackInterval: 10, maxOutstandingAcks: 1 });
    expect(pulled).toBe(total);
    expect(ack).toMatchObject({ stream, count: total, lastSeq: before + total });
    expect(await messagesIn(stream)).toBe(before + total);
    expect((await h.jsm.streams.getMessage(stream, { seq: before + total }))?.json()).toBe(total - 1);
  });

  it('a msgId already in the stream (or twice in the batch) is skipped; the rest is stored', async () => {
    await spec.client.publish(`${subject}.dedup`, 0, { msgId: 'fast-dup-1' });
    const before = await messagesIn(stream);
    const ack = await spec.client.publishFastBatch([
      { subject: `${subject}.dedup`, data: 1, msgId: 'fast-dup-1' },
      { subject: `${subject}.dedup`, data: 2, msgId: 'fast-dup-2' },
      { subject: `${subject}.dedup`, data: 3, msgId: 'fast-dup-2' },
      { subject: `${subject}.dedup`, data: 4, msgId: 'fast-dup-3' },
    ]);
    expect(ack.count).toBe(4);
    expect(await messagesIn(stream)).toBe(before + 2);
  });

  it('says why and what was sent: no allow_batched, two streams, no stream, an expectation the server refuses, bad options', async () => {
    const plain = uniqueName('NOBATCHED');
    await h.jsm.streams.add({ name: plain, subjects: [`${plain.toLowerCase()}.>`] });
    const off = await spec.client.publishFastBatch([{ subject: `${plain.toLowerCase()}.a`, data: 1 }]).catch((e: unknown) => e);
    expect(off).toBeInstanceOf(FastBatchUnsupportedError);
    expect((off as Error).message).toContain(`Stream ${plain} (which captures "${plain.toLowerCase()}.a") does not allow fast-ingest batches (allow_batched)`);
    expect(await messagesIn(plain)).toBe(0);

    const before = await messagesIn(stream);
    const mixed = await spec.client
      .publishFastBatch([
        { subject: `${subject}.x`, data: 1 },
        { subject: `${subject}.x`, data: 2 },
        { subject: `${plain.toLowerCase()}.y`, data: 3 },
      ])
      .catch((e: unknown) => e);
    expect(mixed).toBeInstanceOf(FastBatchMixedStreamsError);
    expect(mixed).toMatchObject({ stream, otherStream: plain, subject: `${plain.toLowerCase()}.y`, sent: 2 });
    expect((mixed as Error).message).toContain('The 2 messages before it were sent and committed (a fast batch is not atomic)');
    expect(await messagesIn(plain)).toBe(0);
    expect(await messagesIn(stream)).toBe(before + 2);

    await expect(spec.client.publishFastBatch([{ subject: 'fast.nowhere.x', data: 1 }])).rejects.toBeInstanceOf(NoStreamForSubjectError);

    const wrong = await spec.client
      .publishFastBatch([
        { subject: `${subject}.e`, data: 1 },
        { subject: `${subject}.e`, data: 2, expect: { lastSubjectSequence: 999_999 } },
        { subject: `${subject}.e`, data: 3 },
      ])
      .catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(FastBatchFailedError);
    expect(wrong).toMatchObject({ code: 'FAST_BATCH_FAILED', stream });
    expect((wrong as FastBatchFailedError).apiCode).toEqual(expect.any(Number));
    expect((wrong as Error).message).toContain('the server refused it: wrong last sequence');

    await expect(spec.client.publishFastBatch([{ subject: `${subject}.a`, data: 1 }], { maxOutstandingAcks: 4 })).rejects.toThrow(
      new JetStreamConfigError('JetStreamClient.publishFastBatch(): maxOutstandingAcks must be 1, 2 or 3 (flow windows in flight); got 4.'),
    );
    await expect(spec.client.publishFastBatch([])).rejects.toThrow('publishFastBatch() needs at least one message.');
  });

  it('metrics: each batch counted once it ended, by result, and the messages of the committed ones', async () => {
    const registry = new Registry();
    const metered = new JetStreamClient({ connection: { servers: h.server.url }, metrics: new JetStreamMetrics({ registry }) });
    try {
      await metered.publishFastBatch(Array.from({ length: 25 }, (_, i) => ({ subject: `${subject}.m`, data: i })));
      const refused = await metered.publishFastBatch([{ subject: `${subject}.m`, data: 1, expect: { lastSubjectSequence: 999_999 } }]).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(FastBatchFailedError);
      const value = async (name: string, labels: Record<string, string>) =>
        (await registry.getMetricsAsJSON())
          .find((m) => m.name === `nest_jetstream_${name}`)
          ?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
      expect(await value('fast_batches_total', { stream, result: 'committed', connection: 'default' })).toBe(1);
      expect(await value('fast_batches_total', { stream, result: 'failed', connection: 'default' })).toBe(1);
      expect(await value('fast_batch_messages_total', { stream, connection: 'default' })).toBe(25);
    } finally {
      await metered.close();
    }
  });

  it("runs with the producer permissions permissions() computes, flow acks under the connection's own inbox prefix", async () => {
    const name = uniqueName('FASTPERM');
    const subj = name.toLowerCase();
    const producer = computePermissions(
      {
        streams: [name],
        consumers: [],
        deadLetterSubjects: [],
        deadLetterStreams: [],
        publishes: [`${subj}.>`],
        leaderAdvisories: false,
        inboxPrefix: 'APP_INBOX',
      },
      'producer',
    );
    const secured = await NatsServer.start({
      config: `authorization { users: [ { user: admin, password: admin }, { user: producer, password: producer, permissions: ${JSON.stringify(producer)} } ] }`,
    });
    const admin = new JetStreamClient({
      connection: { servers: secured.url, user: 'admin', pass: 'admin' },
      streams: [{ name, subjects: [`${subj}.>`], allowBatched: true }],
    });
    const publisher = new JetStreamClient({
      connection: { servers: secured.url, user: 'producer', pass: 'producer', inboxPrefix: 'APP_INBOX' },
      provisioning: 'off',
    });
    try {
      await admin.connect();
      const ack = await publisher.publishFastBatch(
        Array.from({ length: 250 }, (_, i) => ({ subject: `${subj}.p`, data: i, msgId: `perm-${i}` })),
        { ackInterval: 20 },
      );
      expect(ack).toMatchObject({ stream: name, count: 250, lastSeq: 250 });
    } finally {
      await publisher.close();
      await admin.close();
      await secured.stop();
    }
  });
});
