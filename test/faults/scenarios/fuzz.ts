// 8. Fuzzed input (fast-check): arbitrary payload bytes, header names and values, subjects and
// option values, thrown at a running app and at the client. Every message ends handled or
// dead-lettered with a reason, nothing crashes, no handler runs more than maxDeliver times for one
// message, and every bad option or publish argument is one of the library's typed errors.
// Hostile payloads (JSON nested up to 100,000 deep, __proto__/constructor/prototype keys, huge
// strings, invalid UTF-8) reach the handler as data or are dead-lettered with their decode error,
// and Object.prototype stays untouched.
import 'reflect-metadata';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { NatsServer, resolveNatsServerBinary, waitFor } from '@nest-jetstream/testing';
import {
  InvalidHeaderError,
  InvalidSubjectError,
  JetStreamClient,
  JetStreamContext,
  JetStreamEvent,
  JetStreamServer,
  JetStreamTransportError,
  RawCodec,
  readDeadLetter,
} from '@nest-jetstream/transport';
import fc from 'fast-check';
import type { RunOptions } from './sizes';

export interface FuzzFigures {
  /** Messages the server acknowledged. */
  published: number;
  /** Publishes refused by the client with a typed error (bad header or subject). */
  refusedTyped: number;
  /** Publishes refused with anything else: must be 0. */
  refusedUntyped: string[];
  handled: number;
  deadLettered: number;
  /** Dead letters without a reason: must be 0. */
  deadWithoutReason: number;
  /** Acknowledged messages neither handled nor dead-lettered: must be 0. */
  lost: number;
  maxCalls: number;
  /** Option sets tried, refused with a typed error, accepted, and anything else (must be empty). */
  optionSets: number;
  optionsTyped: number;
  optionsAccepted: number;
  optionsUntyped: string[];
  /** Bad publish arguments by what refused them: InvalidSubjectError, InvalidHeaderError. */
  refusedSubject: number;
  refusedHeader: number;
  /** Publishes accepted although a subject or header carried a control character: must be empty. */
  acceptedHostile: string[];
  /** Hostile payloads tried per class, and how they ended. */
  hostile: Record<HostileClass, { tried: number; handled: number; deadLettered: number; lost: number }>;
  /** Handler data that was not what was published (depth, keys, length): must be empty. */
  hostileWrongData: string[];
  /** Whether Object.prototype kept its own properties and nothing named "polluted" appeared on {}. */
  prototypeIntact: boolean;
}

type HostileClass = 'deep' | 'proto-keys' | 'huge-string' | 'invalid-utf8';

const MAX_DELIVER = 3;
const calls = new Map<number, number>();
/** Messages whose handler returned without an error. */
const ok = new Set<number>();

@Controller()
class FuzzController {
  @JetStreamEvent('fuzz.>', { maxDeliver: MAX_DELIVER, backoff: ['20ms'], deadLetter: 'fuzz-dead.{subject}' })
  handle(@Payload() data: unknown, @Ctx() ctx: JetStreamContext): void {
    const seq = ctx.getInfo().streamSequence;
    calls.set(seq, (calls.get(seq) ?? 0) + 1);
    // Bytes that are not JSON never get here (a decode error: dead-lettered at once). JSON whose
    // text has an odd length fails every attempt: retried, then dead-lettered.
    if (JSON.stringify(data).length % 2 === 1) throw new Error(`odd length of ${JSON.stringify(data).slice(0, 40)}`);
    ok.add(seq);
  }
}

/** What the hostile-payload handler got, by stream sequence. */
const hostileData = new Map<number, unknown>();

@Controller()
class HostileController {
  @JetStreamEvent('fuzzhostile.>', { maxDeliver: MAX_DELIVER, backoff: ['20ms'], deadLetter: 'fuzz-dead.{subject}' })
  handle(@Payload() data: unknown, @Ctx() ctx: JetStreamContext): void {
    hostileData.set(ctx.getInfo().streamSequence, data);
  }
}

@Module({ controllers: [FuzzController, HostileController] })
class FuzzModule {}

@Controller()
class OptionsController {
  @JetStreamEvent('optfuzz.work')
  handle(): void {}
}

/** The app the fuzzed options run: one handler on a stream of its own, which stays empty. */
@Module({ controllers: [OptionsController] })
class OptionsModule {}

const token = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
/** ASCII with its control characters (fc.string alone gives printable characters only). */
const ascii = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength });
/** Header injection attempts: a CR/LF pair and a header of the attacker's, or an escape sequence. */
const injection = fc.constantFrom('\r\nX-Admin: true', '\n', '\r', '\x00', '\x1b[2J', '\x7f');
/** Header names and values, printable or not. */
// Weighted towards good ones, so that enough messages get through to the handlers.
const headerName = fc.oneof(
  { arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/), weight: 8 },
  fc.string({ maxLength: 12 }),
  ascii(12),
  fc.tuple(token, injection).map(([t, i]) => `${t}${i}`),
);
const headerValue = fc.oneof(
  { arbitrary: fc.stringMatching(/^[ -~]{0,40}$/), weight: 8 },
  fc.string({ maxLength: 40 }),
  ascii(40),
  fc.tuple(token, injection, token).map(([a, i, b]) => `${a}${i}${b}`),
);
/** Subjects: valid ones under the handler's wildcard, and anything: wildcards, spaces, empty tokens, control characters, too long. */
const subject = fc.oneof(
  { arbitrary: token.map((t) => `fuzz.${t}`), weight: 4 },
  { arbitrary: fc.tuple(token, token).map(([a, b]) => `fuzz.${a}.${b}`), weight: 4 },
  fc.string({ maxLength: 20 }).map((s) => `fuzz.${s}`),
  fc.string({ maxLength: 20 }),
  ascii(20).map((s) => `fuzz.${s}`),
  fc.tuple(token, fc.constantFrom('*', '>', ' ', '', '\t', '\r\n', '\x00', 'a b', '*x'), token).map(([a, w, b]) => `fuzz.${a}.${w}.${b}`),
  fc.integer({ min: 3800, max: 5000 }).map((n) => `fuzz.${'x'.repeat(n)}`),
);
/** A control character in a subject, or in a header name or value (tab allowed in values): never to be accepted. */
// eslint-disable-next-line no-control-regex
const hasControl = (text: string, tabOk = false) => (tabOk ? /[\x00-\x08\x0a-\x1f\x7f]/ : /[\x00-\x1f\x7f]/).test(text);

/** Option values of any kind at all. */
const anything = () =>
  fc.anything({
    withBigInt: true,
    withNullPrototype: true,
    withMap: true,
    withSet: true,
    withDate: true,
    withTypedArray: true,
    withBoxedValues: true,
    withSparseArray: true,
  });
/** Payload bytes: mostly not JSON, sometimes JSON. */
const payloadBytes = fc.oneof(
  fc.uint8Array({ maxLength: 4096 }),
  fc.jsonValue().map((v) => new TextEncoder().encode(JSON.stringify(v) ?? 'null')),
);

const describeThrown = (e: unknown): string => (e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e));

async function fuzzMessages(url: string, jsm: JetStreamManager, runs: number, seed: number | undefined, f: FuzzFigures): Promise<void> {
  const client = new JetStreamClient({ connection: { servers: url }, codec: new RawCodec() });
  const acked = new Set<number>();
  try {
    await fc.assert(
      fc.asyncProperty(payloadBytes, fc.array(fc.tuple(headerName, headerValue), { maxLength: 4 }), subject, async (payload, headers, subj) => {
        try {
          const ack = await client.publish(subj, payload, { headers: Object.fromEntries(headers) });
          if (ack.stream === 'FUZZ') acked.add(ack.seq);
          f.published++;
        } catch (e) {
          if (e instanceof JetStreamTransportError) f.refusedTyped++;
          else f.refusedUntyped.push(describeThrown(e));
          if (e instanceof InvalidSubjectError) f.refusedSubject++;
          if (e instanceof InvalidHeaderError) f.refusedHeader++;
          return;
        }
        if (hasControl(subj) || headers.some(([n, v]) => hasControl(n) || hasControl(v.trim(), true)))
          f.acceptedHostile.push(JSON.stringify({ subj: subj.slice(0, 60), headers }));
      }),
      { numRuns: runs, seed },
    );
    const dead = new Map<number, string>();
    await waitFor(
      'every fuzzed message handled or dead-lettered',
      async () => {
        const info = await jsm.streams.info('FUZZ_DEAD');
        for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
          const m = await jsm.streams.getMessage('FUZZ_DEAD', { seq }).catch(() => null);
          const d = m && readDeadLetter(m.header);
          if (d) dead.set(d.sequence, d.reason);
        }
        return [...acked].every((seq) => dead.has(seq) || ok.has(seq));
      },
      { timeout: 60_000, interval: 200 },
    ).catch(() => undefined);
    f.deadLettered = [...acked].filter((s) => dead.has(s)).length;
    f.deadWithoutReason = [...dead.values()].filter((r) => !r).length;
    f.handled = [...acked].filter((s) => ok.has(s)).length;
    f.lost = [...acked].filter((s) => !dead.has(s) && !ok.has(s)).length;
    f.maxCalls = Math.max(0, ...calls.values());
  } finally {
    await client.close();
  }
}

/** A hostile payload: the bytes to publish, and what the handler must get (or undefined: the decode must fail). */
interface HostilePayload {
  kind: HostileClass;
  bytes: Uint8Array;
  expect?: (data: unknown) => string | undefined;
}

const enc = new TextEncoder();
/** Depth of nested arrays/objects, walked without recursion. */
function depthOf(value: unknown): number {
  let d = 0;
  for (let v = value; typeof v === 'object' && v !== null; v = Array.isArray(v) ? v[0] : Object.values(v)[0]) d++;
  return d;
}
const hostilePayload: fc.Arbitrary<HostilePayload> = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 100_000 }), fc.boolean()).map(([n, arrays]): HostilePayload => ({
    kind: 'deep',
    bytes: enc.encode(arrays ? `${'['.repeat(n)}${']'.repeat(n)}` : `${'{"a":'.repeat(n)}0${'}'.repeat(n)}`),
    expect: (d) => (depthOf(d) === n ? undefined : `depth ${depthOf(d)}, published ${n}`),
  })),
  fc.constant<HostilePayload>({
    kind: 'deep',
    bytes: enc.encode(`${'{"a":'.repeat(100_000)}0${'}'.repeat(100_000)}`),
    expect: (d) => (depthOf(d) === 100_000 ? undefined : `depth ${depthOf(d)}`),
  }),
  fc
    .uniqueArray(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'), { minLength: 1, maxLength: 6 })
    .chain((keys) => fc.tuple(fc.constant(keys), fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: keys.length, maxLength: keys.length })))
    .map(([keys, values]): HostilePayload => {
      const text = `{${keys.map((k, i) => `${JSON.stringify(k)}:${JSON.stringify({ polluted: values[i] ?? null })}`).join(',')}}`;
      return {
        kind: 'proto-keys',
        bytes: enc.encode(text),
        expect: (d) => {
          if (typeof d !== 'object' || d === null || Object.getPrototypeOf(d) !== Object.prototype) return 'not a plain object';
          const own = Object.keys(d).join(',');
          return own === keys.join(',') ? undefined : `keys ${own}, published ${keys.join(',')}`;
        },
      };
    }),
  fc.tuple(fc.integer({ min: 100_000, max: 900_000 }), fc.constantFrom('x', 'é', '😀', '\\u0000')).map(([n, ch]): HostilePayload => {
    const s = ch.repeat(Math.floor(n / (enc.encode(JSON.stringify(ch)).length - 2))); // at most n bytes of JSON text
    return { kind: 'huge-string', bytes: enc.encode(JSON.stringify({ s })), expect: (d) => ((d as { s?: string }).s === s ? undefined : 'the string differs') };
  }),
  fc
    .tuple(
      fc.uint8Array({ maxLength: 64 }),
      fc.constantFrom([0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]),
      fc.uint8Array({ maxLength: 64 }),
    )
    .map(([a, bad, b]): HostilePayload => ({
      kind: 'invalid-utf8',
      bytes: Uint8Array.from([
        0x22,
        ...a.filter((x) => x < 0x80 && x !== 0x22 && x !== 0x5c && x >= 0x20),
        ...bad,
        ...b.filter((x) => x < 0x80 && x !== 0x22 && x !== 0x5c && x >= 0x20),
        0x22,
      ]),
    })),
);

async function fuzzHostilePayloads(url: string, jsm: JetStreamManager, runs: number, seed: number | undefined, f: FuzzFigures): Promise<void> {
  const client = new JetStreamClient({ connection: { servers: url }, codec: new RawCodec() });
  const protoBefore = Object.getOwnPropertyNames(Object.prototype).join(',');
  const sent = new Map<number, HostilePayload>();
  try {
    await fc.assert(
      fc.asyncProperty(hostilePayload, async (p) => {
        const ack = await client.publish(`fuzzhostile.${p.kind}`, p.bytes);
        f.hostile[p.kind].tried++;
        sent.set(ack.seq, p);
      }),
      { numRuns: runs, seed },
    );
    const dead = new Map<number, string>();
    await waitFor(
      'every hostile payload handled or dead-lettered',
      async () => {
        await readDeadLetters(jsm, 'FUZZHOSTILE', dead);
        return [...sent.keys()].every((seq) => dead.has(seq) || hostileData.has(seq));
      },
      { timeout: 60_000, interval: 200 },
    ).catch(() => undefined);
    for (const [seq, p] of sent) {
      const c = f.hostile[p.kind];
      if (hostileData.has(seq)) {
        c.handled++;
        const wrong = p.expect ? p.expect(hostileData.get(seq)) : 'an undecodable payload reached the handler';
        if (wrong) f.hostileWrongData.push(`${p.kind} #${seq}: ${wrong}`);
      } else if (dead.has(seq)) {
        c.deadLettered++;
        if (p.expect) f.hostileWrongData.push(`${p.kind} #${seq} dead-lettered: ${dead.get(seq)}`);
        else if (!/^DecodeError: /.test(dead.get(seq) ?? ''))
          f.hostileWrongData.push(`${p.kind} #${seq} dead-lettered without its decode error: ${dead.get(seq)}`);
      } else c.lost++;
    }
    f.prototypeIntact = Object.getOwnPropertyNames(Object.prototype).join(',') === protoBefore && !('polluted' in {});
  } finally {
    await client.close();
  }
}

/** Dead letters of `stream`'s messages, by original sequence → reason (reads FUZZ_DEAD). */
async function readDeadLetters(jsm: JetStreamManager, stream: string, into: Map<number, string>): Promise<void> {
  const info = await jsm.streams.info('FUZZ_DEAD');
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage('FUZZ_DEAD', { seq }).catch(() => null);
    const d = m && readDeadLetter(m.header);
    if (d && d.stream === stream) into.set(d.sequence, d.reason);
  }
}

/** Option values: well-formed ones and anything at all, for every option a user types. */
const optionValues = fc.record(
  {
    serviceName: fc.oneof(token, anything()),
    provisioning: fc.oneof(fc.constantFrom('create-or-update', 'verify', 'off'), anything()),
    shutdownTimeout: fc.oneof(fc.constantFrom('1s', 500, '2m'), anything()),
    directCalls: fc.oneof(fc.boolean(), anything()),
    deadLetter: fc.oneof(fc.constant('dead.{subject}'), anything()),
    deadLetterAdvisories: fc.oneof(fc.boolean(), fc.record({ replicas: fc.oneof(fc.constantFrom(1, 3), anything()) }), anything()),
    publish: fc.oneof(
      fc.record({ timeout: fc.oneof(fc.constant('1s'), anything()), retryBudget: fc.oneof(fc.constant('5s'), anything()) }, { requiredKeys: [] }),
      anything(),
    ),
    consumerDefaults: fc.oneof(
      fc.record(
        {
          concurrency: fc.oneof(fc.integer({ min: 1, max: 64 }), anything()),
          maxDeliver: fc.oneof(fc.integer({ min: 1, max: 10 }), anything()),
          ackWait: fc.oneof(fc.constant('10s'), anything()),
          backoff: fc.oneof(fc.constant(['1s']), anything()),
          prefetch: fc.oneof(fc.integer({ min: 1, max: 100 }), anything()),
          handlerTimeout: fc.oneof(fc.constant('1m'), anything()),
          deliverPolicy: fc.oneof(fc.constantFrom('all', 'new'), anything()),
        },
        { requiredKeys: [] },
      ),
      anything(),
    ),
    health: fc.oneof(
      fc.record({ timeout: fc.oneof(fc.constant('1s'), anything()), maxPending: fc.oneof(fc.nat(), anything()) }, { requiredKeys: [] }),
      anything(),
    ),
  },
  { requiredKeys: [] },
);

async function fuzzOptions(url: string, runs: number, seed: number | undefined, f: FuzzFigures): Promise<void> {
  await fc.assert(
    fc.asyncProperty(optionValues, async (values) => {
      const options = { ...values, connection: { servers: url }, streams: [{ name: 'OPTFUZZ', subjects: ['optfuzz.>'] }] } as unknown as ConstructorParameters<
        typeof JetStreamServer
      >[0];
      f.optionSets++;
      let app: INestMicroservice | undefined;
      try {
        // Constructing, and listening with a handler, either works or fails with a typed error.
        new JetStreamClient(options).close().catch(() => undefined);
        const strategy = new JetStreamServer(options);
        app = await NestFactory.createMicroservice(OptionsModule, { strategy, logger: false });
        await app.listen();
        f.optionsAccepted++;
      } catch (e) {
        if (e instanceof JetStreamTransportError) f.optionsTyped++;
        else f.optionsUntyped.push(`${describeThrown(e)} for ${safeJson(values)}`);
      } finally {
        await app?.close().catch(() => undefined);
      }
    }),
    { numRuns: runs, seed },
  );
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)) ?? String(v);
  } catch {
    return String(v);
  }
}

export async function fuzz(opts: RunOptions): Promise<FuzzFigures> {
  const counts = () => ({ tried: 0, handled: 0, deadLettered: 0, lost: 0 });
  const f: FuzzFigures = {
    published: 0,
    refusedTyped: 0,
    refusedUntyped: [],
    handled: 0,
    deadLettered: 0,
    deadWithoutReason: 0,
    lost: 0,
    maxCalls: 0,
    optionSets: 0,
    optionsTyped: 0,
    optionsAccepted: 0,
    optionsUntyped: [],
    refusedSubject: 0,
    refusedHeader: 0,
    acceptedHostile: [],
    hostile: { deep: counts(), 'proto-keys': counts(), 'huge-string': counts(), 'invalid-utf8': counts() },
    hostileWrongData: [],
    prototypeIntact: false,
  };
  const server = await NatsServer.start({ binary: resolveNatsServerBinary({ ...process.env, NATS_SERVER_VERSION: opts.version }) });
  let nc: NatsConnection | undefined;
  let app: INestMicroservice | undefined;
  calls.clear();
  ok.clear();
  hostileData.clear();
  try {
    nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    const strategy = new JetStreamServer({
      connection: { servers: server.url },
      serviceName: 'fuzz',
      streams: [
        { name: 'FUZZ', subjects: ['fuzz.>'] },
        { name: 'FUZZHOSTILE', subjects: ['fuzzhostile.>'] },
        { name: 'FUZZ_DEAD', subjects: ['fuzz-dead.>'] },
      ],
    });
    app = await NestFactory.createMicroservice(FuzzModule, { strategy, logger: false });
    await app.listen();
    await fuzzMessages(server.url, jsm, opts.size.fuzzRuns, opts.size.seed, f);
    await fuzzHostilePayloads(server.url, jsm, opts.size.fuzzRuns, opts.size.seed, f);
    await app.close();
    app = undefined;
    await fuzzOptions(server.url, Math.ceil(opts.size.fuzzRuns / 4), opts.size.seed, f);
    return f;
  } finally {
    await app?.close();
    await nc?.close();
    await server.stop();
  }
}
