import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { waitFor } from '@nest-jetstream/testing';
import { Harness } from '../__fixtures__/harness.js';
import { rawHpub, UNPARSABLE_HEADER_BLOCK } from '../__fixtures__/raw-hpub.js';
import { JetStreamClient } from '../client/jetstream.client.js';
import { RawCodec } from '../codecs/raw.codec.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { DeadLetterHeaders, readDeadLetter } from '../dead-letter/dead-letter-headers.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { InvalidHeaderError, InvalidSubjectError } from '../errors/input.errors.js';
import { EncodeError } from '../errors/publish.errors.js';
import { MemoryIdempotencyStore } from '../idempotency/memory-idempotency.store.js';

// Hostile input against a real nats-server: payloads that are deep, huge, not UTF-8 or carry
// prototype keys; header blocks no client would write; and publishes the client must refuse
// before anything reaches the wire.

/** What the handler got, by stream sequence. */
const received = new Map<number, unknown>();

@Controller()
class HostileController {
  @JetStreamEvent('hostile.>', { maxDeliver: 2, backoff: ['10ms'], deadLetter: 'hostile-dead.{subject}' })
  handle(@Payload() data: unknown, @Ctx() ctx: JetStreamContext): void {
    received.set(ctx.getInfo().streamSequence, data);
    if (ctx.getSubject().endsWith('.fail')) throw new Error('this one fails every attempt');
  }

  // The same input through the other runners: a push consumer, and the ordered one (one message at a time).
  @JetStreamEvent('hostilepush.>', { mode: 'push', maxDeliver: 2, backoff: ['10ms'], deadLetter: 'hostile-dead.{subject}' })
  handlePush(@Payload() data: unknown, @Ctx() ctx: JetStreamContext): void {
    this.handle(data, ctx);
  }

  @JetStreamEvent('hostileordered.>', { mode: 'ordered', deliverPolicy: 'all', maxDeliver: 2, backoff: ['10ms'], deadLetter: 'hostile-dead.{subject}' })
  handleOrdered(@Payload() data: unknown, @Ctx() ctx: JetStreamContext): void {
    this.handle(data, ctx);
  }

  // An idempotent handler keyed by msgId reads the headers before it runs.
  @JetStreamEvent('hostileidem.>', { idempotent: { key: 'msgId' }, maxDeliver: 5, backoff: ['10ms'], deadLetter: 'hostile-dead.{subject}' })
  handleIdempotent(@Payload() data: unknown, @Ctx() ctx: JetStreamContext): void {
    this.handle(data, ctx);
  }
}

@Module({ controllers: [HostileController] })
class HostileModule {}

/** Depth of nested arrays/objects, without recursion (a recursive walk is what a deep payload breaks). */
function depth(value: unknown): number {
  let d = 0;
  let v = value;
  while (typeof v === 'object' && v !== null) {
    d++;
    v = Array.isArray(v) ? v[0] : Object.values(v)[0];
  }
  return d;
}

describe('hostile input (real nats-server)', () => {
  const h = new Harness();
  let raw: JetStreamClient;
  let client: JetStreamClient;
  const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();

  beforeAll(async () => {
    await h.start();
    await h.app(HostileModule, {
      serviceName: 'hostile',
      streams: [
        { name: 'HOSTILE', subjects: ['hostile.>', 'hostilepush.>', 'hostileordered.>', 'hostileidem.>'] },
        { name: 'HOSTILE_DEAD', subjects: ['hostile-dead.>'] },
      ],
      idempotency: { store: new MemoryIdempotencyStore() },
    });
    raw = new JetStreamClient({ connection: { servers: h.server.url }, codec: new RawCodec() });
    client = new JetStreamClient({ connection: { servers: h.server.url } });
  });

  afterAll(async () => {
    await raw?.close();
    await client?.close();
    await h.stop();
  });

  // A raw HPUB has no PubAck: wait for the stream to hold it.
  const seqOf = (subject: string) =>
    waitFor(
      `a message on ${subject} in stream HOSTILE`,
      async () => (await h.jsm.streams.getMessage('HOSTILE', { last_by_subj: subject }).catch(() => null))?.seq,
    );

  async function deadLetterOf(seq: number) {
    let found: { facts: ReturnType<typeof readDeadLetter>; headers: Map<string, string> } | undefined;
    await waitFor(
      `message ${seq} dead-lettered`,
      async () => {
        const info = await h.jsm.streams.info('HOSTILE_DEAD');
        for (let s = info.state.first_seq; info.state.messages > 0 && s <= info.state.last_seq; s++) {
          const m = await h.jsm.streams.getMessage('HOSTILE_DEAD', { seq: s });
          const facts = m && readDeadLetter(m.header);
          if (m && facts?.sequence === seq) found = { facts, headers: new Map([...m.header.keys()].map((k) => [k, m.header.get(k)])) };
        }
        return found !== undefined;
      },
      { timeout: 20_000 },
    );
    return found!;
  }

  it('hands deep, huge and prototype-keyed JSON to the handler as data, and leaves Object.prototype untouched', async () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    const deepArrays = await raw.publish('hostile.deep.arrays', enc(`${'['.repeat(100_000)}${']'.repeat(100_000)}`));
    const deepObjects = await raw.publish('hostile.deep.objects', enc(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`));
    const proto = await raw.publish(
      'hostile.proto',
      enc('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"prototype":{"polluted":true}}'),
    );
    const huge = await raw.publish('hostile.huge', enc(JSON.stringify({ s: 'x'.repeat(900_000) })));
    await waitFor('the four handled', () => [deepArrays, deepObjects, proto, huge].every((a) => received.has(a.seq)), { timeout: 20_000 });

    expect(depth(received.get(deepArrays.seq))).toBe(100_000);
    expect(depth(received.get(deepObjects.seq))).toBe(100_000);
    const p = received.get(proto.seq) as Record<string, unknown>;
    expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
    expect(Object.keys(p)).toEqual(['__proto__', 'constructor', 'prototype']);
    expect(Object.getOwnPropertyDescriptor(p, '__proto__')?.value).toEqual({ polluted: true });
    expect((received.get(huge.seq) as { s: string }).s).toHaveLength(900_000);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBefore);
  }, 60_000);

  it('dead-letters payloads that do not decode (invalid UTF-8, not JSON) with the reason, and goes on with the next message', async () => {
    const utf8 = await raw.publish('hostile.utf8', Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0xfe, 0x22, 0x7d]));
    const notJson = await raw.publish('hostile.garbage', new TextEncoder().encode('{"a": nope'));
    const after = await client.publish('hostile.after', { ok: true });
    const a = await deadLetterOf(utf8.seq);
    expect(a.facts?.reason).toMatch(/^DecodeError: Cannot decode message \d+ on "hostile\.utf8": .*(encoded data|UTF-8|utf-8)/i);
    const b = await deadLetterOf(notJson.seq);
    expect(b.facts?.reason).toMatch(/^DecodeError: Cannot decode message \d+ on "hostile\.garbage": .*JSON/);
    await waitFor('the next message handled', () => received.has(after.seq));
    expect(received.has(utf8.seq) || received.has(notJson.seq)).toBe(false);
  }, 60_000);

  it('dead-letters a message whose header block no client would write, with oversized and control-character values bounded', async () => {
    const body = new TextEncoder().encode('{"a":1}');
    await rawHpub(h.server.url, 'hostile.badname.fail', UNPARSABLE_HEADER_BLOCK, body);
    await rawHpub(h.server.url, 'hostile.big.fail', `NATS/1.0\r\nX-Big: ${'y'.repeat(10_000)}\r\nX-Ctl: a\x00b\x1b[31m\r\n\r\n`, body);
    const badName = await deadLetterOf(await seqOf('hostile.badname.fail'));
    expect(badName.facts?.reason).toMatch(/failed on the last attempt/);
    expect(badName.headers.get(DeadLetterHeaders.HeadersUnreadable)).toMatch(/not a valid character in a header name/);
    const big = await deadLetterOf(await seqOf('hostile.big.fail'));
    expect(big.headers.get('X-Big')).toHaveLength(4096);
    expect(big.headers.get('X-Ctl')).toBe('a\uFFFDb\uFFFD[31m');
    expect(big.headers.get(DeadLetterHeaders.Altered)).toBe('X-Big X-Ctl');
  }, 60_000);

  // nats.js parses a header block on first read and throws on every read of a bad one: the decode
  // failure's path must not read them unguarded (it left the message unsettled, or crashed the ordered runner).
  it.each([
    ['shared', 'hostile'],
    ['push', 'hostilepush'],
    ['ordered', 'hostileordered'],
  ])(
    'dead-letters a message whose header block no client would write and whose payload does not decode (%s), and goes on',
    async (_mode, root) => {
      await rawHpub(h.server.url, `${root}.badboth`, UNPARSABLE_HEADER_BLOCK, new TextEncoder().encode('{"a": nope'));
      const seq = await seqOf(`${root}.badboth`);
      const after = await client.publish(`${root}.after`, { ok: true });
      const dl = await deadLetterOf(seq);
      expect(dl.facts?.reason).toMatch(new RegExp(`^DecodeError: Cannot decode message ${seq} on "${root}\\.badboth": .*JSON`));
      expect(dl.headers.get(DeadLetterHeaders.HeadersUnreadable)).toMatch(/not a valid character in a header name/);
      await waitFor(`the next message on ${root} handled`, () => received.has(after.seq), { timeout: 20_000 });
      expect(received.has(seq)).toBe(false);
    },
    60_000,
  );

  it('dead-letters at its first delivery a message whose msgId key sits in a header block that cannot be read (an idempotent handler), and goes on', async () => {
    await rawHpub(h.server.url, 'hostileidem.badheaders', UNPARSABLE_HEADER_BLOCK, new TextEncoder().encode('{"a":1}'));
    const seq = await seqOf('hostileidem.badheaders');
    const after = await client.publish('hostileidem.after', { ok: true }, { msgId: 'hostile-idem-after' });
    const dl = await deadLetterOf(seq);
    expect(dl.facts?.reason).toMatch(
      new RegExp(`^DecodeError: Cannot decode message ${seq} on "hostileidem\\.badheaders": its header block cannot be read .*idempotency key`),
    );
    // Settled for good at once, not naked until its deliveries ran out.
    expect(dl.facts?.deliveries).toBe(1);
    expect(dl.headers.get(DeadLetterHeaders.HeadersUnreadable)).toMatch(/not a valid character in a header name/);
    await waitFor('the next message on hostileidem handled', () => received.has(after.seq), { timeout: 20_000 });
    expect(received.has(seq)).toBe(false);
  }, 60_000);

  it('refuses bad subjects and headers with a typed error naming them, before anything is sent', async () => {
    const seen: string[] = [];
    const sub = h.nc.subscribe('>', { callback: (_e, m) => void (m.subject.startsWith('hostile') && seen.push(m.subject)) });
    await h.nc.flush();
    const before = (await h.jsm.streams.info('HOSTILE')).state.messages;
    const subjects = [
      'hostile.*',
      'hostile.>',
      'hostile two',
      'hostile..x',
      '.hostile',
      'hostile.',
      '',
      'hostile.a\r\nPUB x 1',
      'hostile.\x00',
      'hostile.\x1b[2J',
      `hostile.${'x'.repeat(4000)}`,
    ];
    for (const subject of subjects) {
      const err = await client.publish(subject, { a: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidSubjectError);
      expect(err).toMatchObject({ subject, use: 'publish' });
      // eslint-disable-next-line no-control-regex
      expect((err as Error).message).not.toMatch(/[\r\n\x00\x1b]/);
    }
    const headers: Array<[string, string]> = [
      ['X-Note', 'ok\r\nX-Admin: true'],
      ['X-Note', 'line\nbreak'],
      ['X-Note', 'nul\x00'],
      ['X-Note', '\x1b[31mred'],
      ['X-Note', 'del\x7f'],
      ['bad name', 'x'],
      ['a:b', 'x'],
      ['X-Inject\r\nX-Admin', 'true'],
      ['ünicode', 'x'],
      ['', 'x'],
    ];
    for (const [name, value] of headers) {
      const err = await client.publish('hostile.headers', { a: 1 }, { headers: { [name]: value } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidHeaderError);
      expect(err).toMatchObject({ header: name, subject: 'hostile.headers' });
    }
    // A value too deep for JSON.stringify is an EncodeError, not a crash.
    let deep: unknown[] = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    await expect(client.publish('hostile.deep', deep)).rejects.toBeInstanceOf(EncodeError);
    // The same through emit().
    await expect(new Promise((resolve, reject) => client.emit('hostile two', {}).subscribe({ next: resolve, error: reject }))).rejects.toBeInstanceOf(
      InvalidSubjectError,
    );
    // Nothing reached the server, and the connection is still good.
    const ok = await client.publish('hostile.headers.after', { a: 1 }, { headers: { 'X-Note': 'fine\ttab' } });
    await h.nc.flush();
    expect((await h.jsm.streams.info('HOSTILE')).state.messages).toBe(before + 1);
    await waitFor('the good publish seen on the wire', () => seen.includes('hostile.headers.after'));
    // (Seen once published, and again as the consumer's delivery: only the subject matters here.)
    expect([...new Set(seen.filter((s) => !s.startsWith('hostile-dead')))]).toEqual(['hostile.headers.after']);
    expect(ok.stream).toBe('HOSTILE');
    sub.unsubscribe();
  }, 60_000);
});
