// 8. Fuzzed input (fast-check): arbitrary payload bytes, header names and values, subjects and
// option values, thrown at a running app and at the client. Every message ends handled or
// dead-lettered with a reason, nothing crashes, no handler runs more than maxDeliver times for one
// message, and every bad option or publish argument is one of the library's typed errors.
import 'reflect-metadata';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { NatsServer, resolveNatsServerBinary, waitFor } from '@nest-jetstream/testing';
import { JetStreamClient, JetStreamContext, JetStreamEvent, JetStreamServer, JetStreamTransportError, RawCodec, readDeadLetter } from '@nest-jetstream/transport';
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
}

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

@Module({ controllers: [FuzzController] })
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
/** Header names and values, printable or not. */
const headerName = fc.oneof(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/), fc.string({ maxLength: 12 }));
const headerValue = fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^[ -~]{0,40}$/));
/** Subjects: valid ones under the handler's wildcard, and anything. */
const subject = fc.oneof(token.map((t) => `fuzz.${t}`), fc.tuple(token, token).map(([a, b]) => `fuzz.${a}.${b}`), fc.string({ maxLength: 20 }).map((s) => `fuzz.${s}`), fc.string({ maxLength: 20 }));

/** Option values of any kind at all. */
const anything = () => fc.anything({ withBigInt: true, withNullPrototype: true, withMap: true, withSet: true, withDate: true, withTypedArray: true, withBoxedValues: true, withSparseArray: true });
/** Payload bytes: mostly not JSON, sometimes JSON. */
const payloadBytes = fc.oneof(fc.uint8Array({ maxLength: 4096 }), fc.jsonValue().map((v) => new TextEncoder().encode(JSON.stringify(v) ?? 'null')));

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
        }
      }),
      { numRuns: runs, seed },
    );
    const dead = new Map<number, string>();
    await waitFor('every fuzzed message handled or dead-lettered', async () => {
      const info = await jsm.streams.info('FUZZ_DEAD');
      for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
        const m = await jsm.streams.getMessage('FUZZ_DEAD', { seq }).catch(() => null);
        const d = m && readDeadLetter(m.header);
        if (d) dead.set(d.sequence, d.reason);
      }
      return [...acked].every((seq) => dead.has(seq) || ok.has(seq));
    }, { timeout: 60_000, interval: 200 }).catch(() => undefined);
    f.deadLettered = [...acked].filter((s) => dead.has(s)).length;
    f.deadWithoutReason = [...dead.values()].filter((r) => !r).length;
    f.handled = [...acked].filter((s) => ok.has(s)).length;
    f.lost = [...acked].filter((s) => !dead.has(s) && !ok.has(s)).length;
    f.maxCalls = Math.max(0, ...calls.values());
  } finally {
    await client.close();
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
    publish: fc.oneof(fc.record({ timeout: fc.oneof(fc.constant('1s'), anything()), retryBudget: fc.oneof(fc.constant('5s'), anything()) }, { requiredKeys: [] }), anything()),
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
    health: fc.oneof(fc.record({ timeout: fc.oneof(fc.constant('1s'), anything()), maxPending: fc.oneof(fc.nat(), anything()) }, { requiredKeys: [] }), anything()),
  },
  { requiredKeys: [] },
);

async function fuzzOptions(url: string, runs: number, seed: number | undefined, f: FuzzFigures): Promise<void> {
  await fc.assert(
    fc.asyncProperty(optionValues, async (values) => {
      const options = { ...values, connection: { servers: url }, streams: [{ name: 'OPTFUZZ', subjects: ['optfuzz.>'] }] } as unknown as ConstructorParameters<typeof JetStreamServer>[0];
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
  const f: FuzzFigures = { published: 0, refusedTyped: 0, refusedUntyped: [], handled: 0, deadLettered: 0, deadWithoutReason: 0, lost: 0, maxCalls: 0, optionSets: 0, optionsTyped: 0, optionsAccepted: 0, optionsUntyped: [] };
  const server = await NatsServer.start({ binary: resolveNatsServerBinary({ ...process.env, NATS_SERVER_VERSION: opts.version }) });
  let nc: NatsConnection | undefined;
  let app: INestMicroservice | undefined;
  calls.clear();
  ok.clear();
  try {
    nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    const strategy = new JetStreamServer({
      connection: { servers: server.url },
      serviceName: 'fuzz',
      streams: [
        { name: 'FUZZ', subjects: ['fuzz.>'] },
        { name: 'FUZZ_DEAD', subjects: ['fuzz-dead.>'] },
      ],
    });
    app = await NestFactory.createMicroservice(FuzzModule, { strategy, logger: false });
    await app.listen();
    await fuzzMessages(server.url, jsm, opts.size.fuzzRuns, opts.size.seed, f);
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
