// Which cases run depends on the nats-server under test (NATS_SERVER_VERSION): on 2.12+ batches are
// stored; on an older server, the errors the library gives instead are tested.
import { Registry } from 'prom-client';
import { natsServerBinaryVersion, resolveNatsServerBinary } from '@nest-jetstream/testing';
import { JetStreamMetrics } from '../metrics/jetstream.metrics.js';
import { harnessWithClient, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamClient } from '../client/jetstream.client.js';
import { ProvisioningError } from '../errors/provisioning.error.js';
import { ATOMIC_BATCH_MIN_SERVER } from '../utils/batch-limits.js';
import { versionAtLeast } from '../utils/server-version.js';
import {
  BatchDuplicateMsgIdError,
  BatchExpectationFailedError,
  BatchMixedStreamsError,
  BatchTooLargeError,
  BatchUnsupportedError,
} from './batch-publish.errors.js';

const version = natsServerBinaryVersion(resolveNatsServerBinary());

describe(`atomic batch publish on nats-server ${version}`, () => {
  const spec = harnessWithClient();
  const { h, messagesIn } = spec;

  if (!versionAtLeast(version, ATOMIC_BATCH_MIN_SERVER)) {
    it(`refuses before sending anything, naming the version and ${ATOMIC_BATCH_MIN_SERVER}; a declaration with allowAtomic fails at connect`, async () => {
      const stream = uniqueName('OLDBATCH');
      await h.jsm.streams.add({ name: stream, subjects: ['oldbatch.>'] });
      const err = await spec.client
        .publishBatch([
          { subject: 'oldbatch.a', data: 1 },
          { subject: 'oldbatch.b', data: 2 },
        ])
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BatchUnsupportedError);
      expect((err as Error).message).toContain(`nats-server ${version} has no atomic batch publish`);
      expect((err as Error).message).toContain(`Upgrade nats-server to ${ATOMIC_BATCH_MIN_SERVER} or newer`);
      expect(await messagesIn(stream)).toBe(0);
      const declaring = new JetStreamClient({
        connection: { servers: h.server.url },
        streams: [{ name: uniqueName('OLDATOMIC'), subjects: ['oldatomic.>'], allowAtomic: true }],
      });
      const boot = await declaring.connect().catch((e: unknown) => e);
      await declaring.close();
      expect(boot).toBeInstanceOf(ProvisioningError);
      expect((boot as Error).message).toContain(`allowAtomic (allow_atomic, atomic batch publish) needs nats-server ${ATOMIC_BATCH_MIN_SERVER} or newer`);
    });
    return;
  }

  let stream: string;
  let subject: string;
  beforeAll(async () => {
    stream = uniqueName('BATCH');
    subject = stream.toLowerCase();
    const declaring = new JetStreamClient({
      connection: { servers: h.server.url },
      streams: [{ name: stream, subjects: [`${subject}.>`], allowAtomic: true }],
    });
    await declaring.connect();
    await declaring.close();
  });

  it('declaring allowAtomic sets allow_atomic; a batch is stored contiguously, with its msgIds and headers, and the ack says where', async () => {
    expect((await h.jsm.streams.info(stream)).config.allow_atomic).toBe(true);
    const before = await messagesIn(stream);
    const ack = await spec.client.publishBatch([
      { subject: `${subject}.order`, data: { id: 1 }, msgId: 'order-1', headers: { 'x-kind': 'order' } },
      { subject: `${subject}.line`, data: { id: 1, line: 1 } },
      { subject: `${subject}.line`, data: { id: 1, line: 2 }, msgId: 'line-2' },
    ]);
    expect(ack).toMatchObject({ stream, count: 3, lastSeq: ack.firstSeq + 2 });
    expect(await messagesIn(stream)).toBe(before + 3);
    const first = await h.jsm.streams.getMessage(stream, { seq: ack.firstSeq });
    expect(first?.json()).toEqual({ id: 1 });
    expect(first?.header?.get('Nats-Msg-Id')).toBe('order-1');
    expect(first?.header?.get('x-kind')).toBe('order');
    expect((await h.jsm.streams.getMessage(stream, { seq: ack.lastSeq }))?.json()).toEqual({ id: 1, line: 2 });
  });

  it('stores nothing and says why: a duplicate msgId, an expectation not met, more than 1000 messages, two streams, a stream without allow_atomic', async () => {
    const before = await messagesIn(stream);
    await spec.client.publishBatch([{ subject: `${subject}.dup`, data: 0, msgId: 'dup-1' }]);
    const dup = await spec.client
      .publishBatch([
        { subject: `${subject}.x`, data: 1 },
        { subject: `${subject}.dup`, data: 2, msgId: 'dup-1' },
      ])
      .catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(BatchDuplicateMsgIdError);
    expect(dup).toMatchObject({ code: 'BATCH_DUPLICATE_MSG_ID', apiCode: 10201 });
    const wrong = await spec.client
      .publishBatch([
        { subject: `${subject}.x`, data: 1 },
        { subject: `${subject}.y`, data: 2, expect: { lastSubjectSequence: 999_999 } },
      ])
      .catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(BatchExpectationFailedError);
    expect((wrong as Error).message).toContain('wrong last sequence');
    const big = await spec.client.publishBatch(Array.from({ length: 1001 }, (_, i) => ({ subject: `${subject}.big`, data: i }))).catch((e: unknown) => e);
    expect(big).toBeInstanceOf(BatchTooLargeError);
    expect((big as Error).message).toContain('An atomic batch of 1001 messages is over the server');
    const other = uniqueName('BATCHOTHER');
    await h.jsm.streams.add({ name: other, subjects: [`${other.toLowerCase()}.>`], allow_atomic: true });
    const mixed = await spec.client
      .publishBatch([
        { subject: `${subject}.x`, data: 1 },
        { subject: `${other.toLowerCase()}.y`, data: 2 },
      ])
      .catch((e: unknown) => e);
    expect(mixed).toBeInstanceOf(BatchMixedStreamsError);
    expect(mixed).toMatchObject({ stream, otherStream: other, subject: `${other.toLowerCase()}.y` });
    expect(await messagesIn(other)).toBe(0);
    expect(await messagesIn(stream)).toBe(before + 1); // only the first, single-message batch
    const plain = uniqueName('NOATOMIC');
    await h.jsm.streams.add({ name: plain, subjects: [`${plain.toLowerCase()}.>`] });
    const off = await spec.client.publishBatch([{ subject: `${plain.toLowerCase()}.a`, data: 1 }]).catch((e: unknown) => e);
    expect(off).toBeInstanceOf(BatchUnsupportedError);
    expect((off as Error).message).toContain(`Stream ${plain} (which captures "${plain.toLowerCase()}.a") does not allow atomic batches (allow_atomic)`);
    expect(await messagesIn(plain)).toBe(0);
  });

  it('a stream that turns allow_atomic off after it was read: the server refuses, nothing stored, and the next batch reads it again', async () => {
    const s = uniqueName('BATCHOFF');
    const subj = s.toLowerCase();
    await h.jsm.streams.add({ name: s, subjects: [`${subj}.>`], allow_atomic: true });
    await spec.client.publishBatch([
      { subject: `${subj}.a`, data: 1 },
      { subject: `${subj}.b`, data: 2 },
    ]);
    await h.jsm.streams.update(s, { subjects: [`${subj}.>`], allow_atomic: false });
    await expect(
      spec.client.publishBatch([
        { subject: `${subj}.a`, data: 3 },
        { subject: `${subj}.b`, data: 4 },
      ]),
    ).rejects.toMatchObject({ code: 'BATCH_UNSUPPORTED', apiCode: 10174 });
    await h.jsm.streams.update(s, { subjects: [`${subj}.>`], allow_atomic: true });
    await expect(spec.client.publishBatch([{ subject: `${subj}.a`, data: 5 }])).resolves.toMatchObject({ stream: s, count: 1 });
    expect(await messagesIn(s)).toBe(3);
  });

  it('metrics: each message of a stored batch counts as a publish, each of a refused one as an error with its code', async () => {
    const registry = new Registry();
    const metered = new JetStreamClient({ connection: { servers: h.server.url }, metrics: new JetStreamMetrics({ registry, pollInterval: '1h' }) });
    const count = async (name: string, labels: Record<string, string>) => {
      const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name.replace(/_count$/, ''));
      const samples = (metric?.values ?? []) as { value: number; labels: Record<string, string | number>; metricName?: string }[];
      return samples.find((v) => (v.metricName ?? metric?.name) === name && Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
    };
    try {
      await metered.publishBatch([1, 2, 3].map((i) => ({ subject: `${subject}.m`, data: i, msgId: `metered-${i}` })));
      await metered.publishBatch([4, 1].map((i) => ({ subject: `${subject}.m`, data: i, msgId: `metered-${i}` }))).catch(() => undefined);
      expect(await count('nest_jetstream_publish_duration_seconds_count', { stream })).toBe(3);
      expect(await count('nest_jetstream_publish_errors_total', { code: 'BATCH_DUPLICATE_MSG_ID' })).toBe(2);
    } finally {
      await metered.close();
    }
  });
});
