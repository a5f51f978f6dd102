import type { JsMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/nats-core';
import { BaseRpcContext } from '@nestjs/microservices';
import type { Duration } from '../utils/duration.js';
import { JETSTREAM_CONTEXT_BRAND } from './jetstream-context.brand.js';
import { readMetadata } from '../metadata/packet-metadata.js';
import { sequenceKey } from './sequence-key.js';

/** How a message was settled, once it is. */
export type SettleAction = 'ack' | 'nak' | 'term';

/** Where a message came from and how often it has been delivered. */
export interface JetStreamDeliveryInfo {
  stream: string;
  consumer: string;
  streamSequence: number;
  consumerSequence: number;
  /** 1 on the first delivery. */
  deliveryCount: number;
  /** When the message was stored. */
  timestamp: Date;
  /** Messages left for this consumer after this one. */
  pending: number;
}

/** @internal What the context calls to settle; the consumer runner implements it. */
export interface MessageSettler {
  ack(ctx: JetStreamContext): void;
  nak(ctx: JetStreamContext, delay?: Duration): void;
  term(ctx: JetStreamContext, reason?: string): void;
  working(ctx: JetStreamContext): void;
}

/** The `@Ctx()` of a `@JetStreamEvent` handler. Settling twice is ignored (the first wins). */
export class JetStreamContext extends BaseRpcContext<[JsMsg]> {
  // `declare`: no per-message field definitions on the hot path; they are set when needed.
  declare readonly [JETSTREAM_CONTEXT_BRAND]: true;
  /** @internal How the message was settled, once it is (read it through `settledWith`). */
  declare settled?: SettleAction;
  /** @internal The exception Nest's pipeline raised for this message, before filters turned it into a reply. */
  declare handlerError?: unknown;
  /** @internal A settle still under way (a dead letter being published). */
  declare pendingSettle?: Promise<void>;
  /** @internal The handler outlived `handlerTimeout`; its late result is ignored. */
  declare abandoned?: boolean;
  /** @internal Sweep tick of the last `working()` (or of receipt). */
  declare touched: number;
  /** @internal When the handler started (`performance.now()`, for `handlerTimeout`); -1 while queued. */
  declare startedAt: number;
  /** @internal The message's delivery count, read once from its ack subject by the consumer runner (metrics read it too). */
  declare attempt?: number;
  /** @internal The consume observer's token for this message (only with metrics or tracing on). */
  declare observed?: unknown;
  /** @internal The key the runner made for an `idempotent` handler (read it through `idempotencyKey`). */
  declare idempotencyKeyValue?: string;

  private constructor(
    msg: JsMsg,
    private readonly settler: MessageSettler,
    tick: number,
  ) {
    super([msg]);
    this.touched = tick;
    this.startedAt = -1;
  }

  /** @internal Contexts are made by the consumer runner, which settles them. */
  static create(msg: JsMsg, settler: MessageSettler, tick = 0): JetStreamContext {
    return new JetStreamContext(msg, settler, tick);
  }

  /** How the message was settled (`'ack'`, `'nak'`, `'term'`), or undefined while it is not. */
  get settledWith(): SettleAction | undefined {
    return this.settled;
  }

  /**
   * This message's idempotency key: for an `idempotent` handler, the key its option makes (record
   * it in your own transaction with `store.record(ctx.idempotencyKey, { tx })`); otherwise `'<stream>:<seq>'`.
   */
  get idempotencyKey(): string {
    return this.idempotencyKeyValue ?? sequenceKey(this.args[0]);
  }

  /** The raw `JsMsg` from `@nats-io/jetstream`. */
  getMessage(): JsMsg {
    return this.args[0];
  }

  getSubject(): string {
    return this.args[0].subject;
  }

  getHeaders(): MsgHdrs | undefined {
    return this.args[0].headers;
  }

  /** The first value of header `name`, or undefined. */
  getHeader(name: string): string | undefined {
    const h = this.args[0].headers;
    return h?.has(name) ? h.get(name) : undefined;
  }

  /** Nest's packet metadata the publisher's dispatch hook attached (`Nest-Meta-*` headers); `{}` when none. */
  getMetadata(): Record<string, string> {
    return readMetadata(this.args[0].headers);
  }

  getInfo(): JetStreamDeliveryInfo {
    const { info, seq } = this.args[0];
    return {
      stream: info.stream,
      consumer: info.consumer,
      streamSequence: info.streamSequence,
      consumerSequence: seq,
      deliveryCount: info.deliveryCount,
      timestamp: new Date(Math.floor(info.timestampNanos / 1_000_000)),
      pending: info.pending,
    };
  }

  /** Acknowledge: processed, never redeliver. */
  ack(): void {
    this.settler.ack(this);
  }

  /** Negative-acknowledge: redeliver after `delay` (ms or `'5s'`), or the handler's backoff for this attempt. */
  nak(delay?: Duration): void {
    this.settler.nak(this, delay);
  }

  /** Terminate: never redeliver. The reason reaches servers ≥ 2.10.4; older ones get a plain term. */
  term(reason?: string): void {
    this.settler.term(this, reason);
  }

  /** Tell the server the handler is still working, which restarts `ackWait`. */
  working(): void {
    this.settler.working(this);
  }

  isSettled(): boolean {
    return this.settled !== undefined;
  }
}

Object.defineProperty(JetStreamContext.prototype, JETSTREAM_CONTEXT_BRAND, { value: true });
