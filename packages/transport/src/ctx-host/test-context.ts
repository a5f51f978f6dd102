import type { JsMsg } from '@nats-io/jetstream';
import { headers as createHeaders, type MsgHdrs } from '@nats-io/nats-core';
import type { Duration } from '../utils/duration.js';
import { JsonCodec } from '../codecs/json.codec.js';
import { JetStreamContext, type MessageSettler } from './jetstream.context.js';

/** What `createTestContext` builds the message from. Everything but `subject` has a default. */
export interface TestContextOptions {
  subject: string;
  /** The payload: a `Uint8Array` as is, anything else as JSON (the default codec). Default: none (empty). */
  data?: unknown;
  /** Message headers (`getHeaders()`, `getHeader()`, `getMetadata()`). Default: none. */
  headers?: Record<string, string | readonly string[]>;
  /** Default: 1 (the first delivery). */
  deliveryCount?: number;
  /** Default: `'TEST'`. */
  stream?: string;
  /** Default: `'test'`. */
  consumer?: string;
  /** Default: 1. */
  streamSequence?: number;
  /** The consumer's delivery sequence. Default: `streamSequence`. */
  consumerSequence?: number;
  /** Messages left for the consumer. Default: 0. */
  pending?: number;
  /** When the message was stored. Default: now. */
  timestamp?: Date;
}

/** One call the handler made on its context, in order. */
export type TestSettleCall =
  { action: 'ack' } | { action: 'nak'; delay: Duration | undefined } | { action: 'term'; reason: string | undefined } | { action: 'working' };

/** A `JetStreamContext` for a handler under test, and what the handler called on it. */
export interface TestContext {
  /** Pass it to the handler as its `@Ctx()`. `ctx.settledWith` is the first settle, as in the server. */
  ctx: JetStreamContext;
  /** Every `ack()`, `nak()`, `term()` and `working()` call, in order (a second settle is recorded, and ignored by `settledWith`). */
  calls: TestSettleCall[];
}

const json = new JsonCodec();
const EMPTY = new Uint8Array(0);

/**
 * Builds the `@Ctx()` a `@JetStreamEvent` handler gets, without a server, for unit tests.
 * Settling it records the call instead of answering a server: the library's own settle
 * (ack on success, nak on a throw) happens in the server, not here.
 */
export function createTestContext(options: TestContextOptions): TestContext {
  const calls: TestSettleCall[] = [];
  const settle = (ctx: JetStreamContext, call: TestSettleCall & { action: 'ack' | 'nak' | 'term' }): void => {
    calls.push(call);
    if (ctx.settled === undefined) ctx.settled = call.action;
  };
  const settler: MessageSettler = {
    ack: (ctx) => settle(ctx, { action: 'ack' }),
    nak: (ctx, delay) => settle(ctx, { action: 'nak', delay }),
    term: (ctx, reason) => settle(ctx, { action: 'term', reason }),
    working: () => calls.push({ action: 'working' }),
  };
  return { ctx: JetStreamContext.create(testMessage(options), settler), calls };
}

function testMessage(options: TestContextOptions): JsMsg {
  const streamSequence = options.streamSequence ?? 1;
  const deliveryCount = options.deliveryCount ?? 1;
  const time = options.timestamp ?? new Date();
  const nanos = BigInt(time.getTime()) * 1_000_000n;
  const data = options.data === undefined ? EMPTY : options.data instanceof Uint8Array ? options.data : json.encode(options.data);
  const settledByContext = (): never => {
    throw new Error('createTestContext: settle through the JetStreamContext (ctx.ack(), ctx.nak(), ctx.term()), not the raw message.');
  };
  return {
    subject: options.subject,
    data,
    headers: toHeaders(options.headers),
    seq: options.consumerSequence ?? streamSequence,
    redelivered: deliveryCount > 1,
    sid: 0,
    time,
    timestamp: time.toISOString(),
    timestampNanos: nanos,
    info: {
      domain: '',
      stream: options.stream ?? 'TEST',
      consumer: options.consumer ?? 'test',
      deliveryCount,
      streamSequence,
      deliverySequence: options.consumerSequence ?? streamSequence,
      timestampNanos: Number(nanos),
      pending: options.pending ?? 0,
      redelivered: deliveryCount > 1,
    },
    ack: settledByContext,
    nak: settledByContext,
    term: settledByContext,
    working: settledByContext,
    next: settledByContext,
    ackAck: settledByContext,
    json: <T>() => JSON.parse(new TextDecoder().decode(data)) as T,
    string: () => new TextDecoder().decode(data),
  };
}

function toHeaders(values: TestContextOptions['headers']): MsgHdrs | undefined {
  if (!values) return undefined;
  const hdrs = createHeaders();
  for (const [name, value] of Object.entries(values)) {
    for (const v of typeof value === 'string' ? [value] : value) hdrs.append(name, v);
  }
  return hdrs;
}
