// A JsMsg without a server, for unit tests of the runners: it records how it was settled.
import type { JsMsg } from '@nats-io/jetstream';
import { headers as createHeaders, type MsgHdrs } from '@nats-io/nats-core';

/** One call the runner made on the raw message, in order. */
export type RawSettle = { action: 'ack' } | { action: 'nak'; delay?: number } | { action: 'term'; reason?: string } | { action: 'working' };

/** What `fakeJsMsg` builds the message from. Everything has a default. */
export interface FakeJsMsgOptions {
  /** Default `'orders.created'`. */
  subject?: string;
  /** The payload: a `Uint8Array` as is, anything else as JSON. Default `{}`. */
  data?: unknown;
  headers?: Record<string, string>;
  /** Default 1. */
  deliveryCount?: number;
  /** Default 1. */
  streamSequence?: number;
  /** Default `'ORDERS'`. */
  stream?: string;
  /** Messages left for the consumer after this one. Default 0. */
  pending?: number;
  /** When the message was stored. Default now. */
  timestamp?: Date;
}

/** A `JsMsg` whose settles are recorded in `settles` (a second settle is recorded too: the runner must not send one). */
export interface FakeJsMsg extends JsMsg {
  readonly settles: RawSettle[];
}

const encoder = new TextEncoder();

export function fakeJsMsg(options: FakeJsMsgOptions = {}): FakeJsMsg {
  const settles: RawSettle[] = [];
  const streamSequence = options.streamSequence ?? 1;
  const deliveryCount = options.deliveryCount ?? 1;
  const time = options.timestamp ?? new Date();
  const nanos = BigInt(time.getTime()) * 1_000_000n;
  const raw = options.data ?? {};
  const data = raw instanceof Uint8Array ? raw : encoder.encode(JSON.stringify(raw));
  return {
    settles,
    subject: options.subject ?? 'orders.created',
    data,
    headers: toHeaders(options.headers),
    seq: streamSequence,
    redelivered: deliveryCount > 1,
    sid: 1,
    time,
    timestamp: time.toISOString(),
    timestampNanos: nanos,
    info: {
      domain: '',
      stream: options.stream ?? 'ORDERS',
      consumer: 'orders',
      deliveryCount,
      streamSequence,
      deliverySequence: streamSequence,
      timestampNanos: Number(nanos),
      pending: options.pending ?? 0,
      redelivered: deliveryCount > 1,
    },
    ack: () => settles.push({ action: 'ack' }),
    nak: (delay?: number) => settles.push({ action: 'nak', delay }),
    term: (reason?: string) => settles.push({ action: 'term', reason }),
    working: () => settles.push({ action: 'working' }),
    next: () => settles.push({ action: 'ack' }),
    ackAck: () => {
      settles.push({ action: 'ack' });
      return Promise.resolve(true);
    },
    json: <T>() => JSON.parse(new TextDecoder().decode(data)) as T,
    string: () => new TextDecoder().decode(data),
  };
}

/** The settles of `msg` other than `working()` (what decides the message's fate). */
export function settlesOf(msg: FakeJsMsg): RawSettle[] {
  return msg.settles.filter((s) => s.action !== 'working');
}

function toHeaders(values: Record<string, string> | undefined): MsgHdrs | undefined {
  if (!values) return undefined;
  const hdrs = createHeaders();
  for (const [name, value] of Object.entries(values)) hdrs.append(name, value);
  return hdrs;
}
