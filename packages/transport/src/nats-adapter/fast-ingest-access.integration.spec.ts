import * as internal from '@nats-io/jetstream/internal';
import { JetStreamApiError } from '@nats-io/jetstream';
import { headers, type Msg } from '@nats-io/nats-core';
import { natsServerBinaryVersion, resolveNatsServerBinary, waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { FAST_BATCH_MIN_SERVER } from '../utils/batch-limits.js';
import { versionAtLeast } from '../utils/server-version.js';
import { openFastIngest, type FastIngestStart } from './fast-ingest-access.js';

// Pins what fast-ingest-access.ts takes from nats.js's internal export against the installed
// @nats-io/jetstream and a real nats-server: the export, the reply subjects under the connection's
// inbox prefix (what permissions() allows), the flow window, the terminal ack's shape, and the
// "batch closed" + done() pair the publisher reads the server's error from. A nats.js release that
// changes one fails here (see the upstream note in the file).

const version = natsServerBinaryVersion(resolveNatsServerBinary());
const payload = new TextEncoder().encode('x');

describe(`nats-adapter: nats.js's internal startFastIngest (nats-server ${version})`, () => {
  const h = new Harness();
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('@nats-io/jetstream/internal exports startFastIngest(nc, subject, payload, options, defaultTimeout)', () => {
    expect(typeof internal.startFastIngest).toBe('function');
    expect(internal.startFastIngest.length).toBe(4); // the fifth parameter has a default
  });

  if (!versionAtLeast(version, FAST_BATCH_MIN_SERVER)) return;

  const start = (over: Partial<FastIngestStart> = {}): FastIngestStart => ({
    ackInterval: 5,
    maxOutstandingAcks: 1,
    allowGaps: false,
    inboxPrefix: '_INBOX',
    timeoutMs: 5_000,
    ...over,
  });

  it('replies come under the inbox prefix given, carrying the batch, the flow and the gap mode; the ack has stream, seq, batch, count', async () => {
    const stream = uniqueName('FIPIN');
    const subject = `${stream.toLowerCase()}.a`;
    await h.jsm.streams.add({ name: stream, subjects: [`${stream.toLowerCase()}.>`], allow_batched: true });
    const replies: string[] = [];
    const spy = h.nc.subscribe(subject, { callback: (_e: unknown, m: Msg) => void replies.push(m.reply ?? '') });
    await h.nc.flush();
    const fi = await openFastIngest(h.nc, subject, payload, undefined, start({ inboxPrefix: 'APP.INBOX' }));
    for (let i = 0; i < 48; i++) await fi.add(subject, payload, undefined);
    const ack = await fi.last(subject, payload, undefined);
    await expect(fi.done()).resolves.toEqual(ack);
    expect(ack).toEqual({ stream, seq: 50, batch: fi.batch, count: 50 });
    await waitFor('the spy to see the 50 messages', () => replies.length === 50);
    spy.unsubscribe();
    expect(replies[0]).toBe(`APP.INBOX.${fi.batch}.5.fail.1.0.$FI`);
    expect(replies[1]).toBe(`APP.INBOX.${fi.batch}.5.fail.2.1.$FI`);
    expect(replies[49]).toBe(`APP.INBOX.${fi.batch}.5.fail.50.2.$FI`);
    expect(fi.gaps).toEqual([]);
  });

  it('an error the server sends after the start: the next call rejects with "batch closed", done() with the server\'s JetStreamApiError', async () => {
    const stream = uniqueName('FIERR');
    const subject = `${stream.toLowerCase()}.a`;
    await h.jsm.streams.add({ name: stream, subjects: [`${stream.toLowerCase()}.>`], allow_batched: true });
    const fi = await openFastIngest(h.nc, subject, payload, undefined, start({ allowGaps: true }));
    const h2 = headers();
    h2.set('Nats-Expected-Last-Subject-Sequence', '999999');
    await fi.add(subject, payload, h2);
    const outcome = await fi.done().catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(JetStreamApiError);
    expect((outcome as Error).message).toContain('wrong last sequence');
    await expect(fi.add(subject, payload, undefined)).rejects.toThrow('batch closed');
  });
});
