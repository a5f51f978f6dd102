import { lastValueFrom } from 'rxjs';
import { NatsServer } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { RawCodec } from '../codecs/raw.codec.js';
import { JetStreamConnectionError, JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { NoStreamForSubjectError, ProvisioningError } from '../errors/provisioning.error.js';
import {
  EncodeError,
  PublishRejectedError,
  PublishTimeoutError,
  RequestReplyNotSupportedError,
  WrongLastMsgIdError,
  WrongLastSequenceError,
  WrongStreamError,
} from '../errors/publish.errors.js';
import { JetStreamRecordBuilder } from '../record-builders/jetstream.record-builder.js';
import { JetStreamClient } from './jetstream.client.js';

describe('JetStreamClient (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('PUB');
  let client: JetStreamClient;

  beforeAll(async () => {
    await h.start();
    await h.jsm.streams.add({ name: stream, subjects: ['pub.>'], max_msg_size: 1024 });
    client = new JetStreamClient({ connection: { servers: h.server.url } });
  });
  afterAll(async () => {
    await client.close();
    await h.stop();
  });

  it('provisions the streams a publisher-only service declares, and verify reports a missing one', async () => {
    const name = uniqueName('OWNPUB');
    const publisher = new JetStreamClient({ connection: { servers: h.server.url }, streams: [{ name, subjects: ['ownpub.>'], maxAge: '1h' }] });
    try {
      const ack = await publisher.publish('ownpub.created', { id: 1 });
      expect(ack.stream).toBe(name);
      expect((await h.jsm.streams.info(name)).config.max_age).toBe(3_600_000_000_000);
    } finally {
      await publisher.close();
    }
    const missing = uniqueName('NOPUB');
    const verifying = new JetStreamClient({
      connection: { servers: h.server.url },
      provisioning: 'verify',
      streams: [{ name: missing, subjects: ['nopub.>'] }],
    });
    const err = await verifying.connect().catch((e: unknown) => e);
    await verifying.close();
    expect(err).toBeInstanceOf(ProvisioningError);
    expect((err as Error).message).toContain(`stream ${missing}: missing`);
    await expect(h.jsm.streams.info(missing)).rejects.toThrow(/stream not found/);
  });

  it('emit() yields the PubAck, and stores the JSON payload', async () => {
    const ack = await lastValueFrom(client.emit('pub.a', { id: 1 }));
    expect(ack.stream).toBe(stream);
    expect(ack.duplicate).toBe(false);
    const stored = await h.jsm.streams.getMessage(stream, { seq: ack.seq });
    expect(stored?.json()).toEqual({ id: 1 });
  });

  it('dedups the same msgId: one stored, the second returns duplicate: true', async () => {
    const first = await client.publish('pub.dedup', { n: 1 }, { msgId: 'order-42' });
    const second = await client.publish('pub.dedup', { n: 1 }, { msgId: 'order-42' });
    expect(second.duplicate).toBe(true);
    expect(second.seq).toBe(first.seq);
    const info = await h.jsm.streams.info(stream, { subjects_filter: 'pub.dedup' });
    expect(info.state.subjects?.['pub.dedup']).toBe(1);
  });

  it('sends msgId, headers and expectations from a JetStreamRecordBuilder', async () => {
    const record = new JetStreamRecordBuilder({ n: 2 }).setMsgId('rec-1').setHeaders({ 'x-tenant': 'acme' }).build();
    const ack = await lastValueFrom(client.emit('pub.record', record));
    const stored = await h.jsm.streams.getMessage(stream, { seq: ack.seq });
    expect(stored?.header.get('x-tenant')).toBe('acme');
    expect(stored?.header.get('Nats-Msg-Id')).toBe('rec-1');
  });

  it('rejects a wrong expected last sequence with WrongLastSequenceError naming both sequences', async () => {
    const ack = await client.publish('pub.seq', 'x');
    const err = await client.publish('pub.seq', 'y', { expect: { lastSequence: ack.seq - 1 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WrongLastSequenceError);
    expect(err).toMatchObject({ code: 'WRONG_LAST_SEQUENCE', expected: ack.seq - 1, actual: ack.seq });
    const ok = await client.publish('pub.seq', 'z', { expect: { lastSubjectSequence: ack.seq } });
    expect(ok.seq).toBe(ack.seq + 1);
  });

  it('rejects wrong lastMsgId and stream expectations with their own errors', async () => {
    await client.publish('pub.mid', 'x', { msgId: 'm-1' });
    await expect(client.publish('pub.mid', 'y', { expect: { lastMsgId: 'other' } })).rejects.toBeInstanceOf(WrongLastMsgIdError);
    await expect(client.publish('pub.mid', 'y', { expect: { stream: 'NOT_THIS_ONE' } })).rejects.toBeInstanceOf(WrongStreamError);
  });

  it('pipelines concurrent emits: 500 in flight all stored, in one connection', async () => {
    const before = (await h.jsm.streams.info(stream)).state.messages;
    const acks = await Promise.all(Array.from({ length: 500 }, (_, i) => client.publish('pub.burst', { i })));
    expect(new Set(acks.map((a) => a.seq)).size).toBe(500);
    expect((await h.jsm.streams.info(stream)).state.messages).toBe(before + 500);
  });

  it('fails fast with NoStreamForSubjectError when no stream captures the subject', async () => {
    const started = Date.now();
    const err = await client.publish('nowhere.at.all', { x: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoStreamForSubjectError);
    expect((err as Error).message).toMatch(/No JetStream stream captures subject "nowhere.at.all"/);
    // Not after the whole retry budget (15 s): the missing stream is final at once.
    expect(Date.now() - started).toBeLessThan(12_000);
  });

  it('names the problem for a payload too large, an unencodable value, a bad subject and a bad header', async () => {
    await expect(client.publish('pub.big', 'x'.repeat(4096))).rejects.toBeInstanceOf(PublishRejectedError);
    await expect(client.publish('pub.a', 10n)).rejects.toBeInstanceOf(EncodeError);
    await expect(client.publish('pub.*', { a: 1 })).rejects.toThrow(/Cannot publish to "pub\.\*": wildcards/);
    const badHeader = await client.publish('pub.a', {}, { headers: { 'bad header': 'x' } }).catch((e: unknown) => e);
    expect(badHeader).toBeInstanceOf(JetStreamConfigError);
    expect((badHeader as Error).message).toMatch(/Header "bad header"/);
  });

  it('send() says request/reply belongs to Transport.NATS', () => {
    expect(() => client.send('pub.a', {})).toThrow(RequestReplyNotSupportedError);
    expect(() => client.send('pub.a', {})).toThrow(/Transport\.NATS/);
  });

  it('publishes raw bytes with the raw codec', async () => {
    const raw = new JetStreamClient({ connection: { servers: h.server.url }, codec: new RawCodec() });
    try {
      const ack = await raw.publish('pub.raw', new Uint8Array([0, 1, 2, 255]));
      expect((await h.jsm.streams.getMessage(stream, { seq: ack.seq }))?.data).toEqual(new Uint8Array([0, 1, 2, 255]));
    } finally {
      await raw.close();
    }
  });

  it('rides out a server restart inside the retry budget with the same msgId (stored once)', async () => {
    await h.server.kill('SIGKILL');
    const publishing = client.publish('pub.restart', { n: 1 }, { msgId: 'restart-1', timeout: 500 });
    setTimeout(() => void h.server.restart(), 1000);
    const ack = await publishing;
    expect(ack.stream).toBe(stream);
    const again = await client.publish('pub.restart', { n: 1 }, { msgId: 'restart-1' });
    expect(again.duplicate).toBe(true);
  });

  it('gives up with PublishTimeoutError when the budget runs out', async () => {
    await h.server.kill('SIGKILL');
    try {
      const err = await client.publish('pub.gone', { n: 1 }, { timeout: 200, retryBudget: 1000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PublishTimeoutError);
      expect((err as Error).message).toMatch(/same msgId/);
    } finally {
      await h.server.restart();
    }
  });

  it('connects without the client async traces unless connection.noAsyncTraces says otherwise', async () => {
    const optionsOf = (c: JetStreamClient) => (c.unwrap() as unknown as { options: { noAsyncTraces?: boolean } }).options;
    await client.connect();
    expect(optionsOf(client).noAsyncTraces).toBe(true);
    const traced = new JetStreamClient({ connection: { servers: h.server.url, noAsyncTraces: false } });
    try {
      await traced.connect();
      expect(optionsOf(traced).noAsyncTraces).toBe(false);
      // (The PublishTimeoutError test above runs without traces: the typed error does not need them.)
      expect((await traced.publish('pub.traced', { n: 1 })).stream).toBe(stream);
    } finally {
      await traced.close();
    }
  });

  it('fails connect() with a clear error when NATS is unreachable or JetStream is off', async () => {
    const nowhere = new JetStreamClient({ connection: { servers: 'nats://127.0.0.1:1', reconnect: false } });
    await expect(nowhere.connect()).rejects.toThrow(JetStreamConnectionError);
    await expect(nowhere.connect()).rejects.toThrow(/cannot connect to NATS at nats:\/\/127\.0\.0\.1:1.*Start nats-server there/);
    const plain = await NatsServer.start({ jetstream: false });
    try {
      const noJs = new JetStreamClient({ connection: { servers: plain.url } });
      await expect(noJs.connect()).rejects.toThrow(/JetStream does not answer.*-js/);
    } finally {
      await plain.stop();
    }
  });
});
