import type { MsgHdrs } from '@nats-io/nats-core';
import type { Duration } from '../utils/duration.js';

/** Preconditions the server checks before storing a message. */
export interface PublishExpectations {
  /** The subject must be captured by this stream. */
  stream?: string;
  /** The stream's last sequence must be this. */
  lastSequence?: number;
  /** The last sequence on this subject must be this (0: no message yet). */
  lastSubjectSequence?: number;
  /** The stream's last msgId must be this. */
  lastMsgId?: string;
}

/** Options of one publish. */
export interface JetStreamPublishOptions {
  /** The named connection (the `connections` option) to publish through. Default `'default'`: the `connection` option's. */
  connection?: string;
  /** Dedup id (`Nats-Msg-Id`). Default: a random id, so the client's own retries never store twice. */
  msgId?: string;
  headers?: MsgHdrs | Record<string, string | string[]>;
  expect?: PublishExpectations;
  /** Wait for one PubAck. Default from `publish.timeout` (`'2s'`). */
  timeout?: Duration;
  /** Retry timeouts and no-responders with the same msgId this long. Default from `publish.retryBudget` (`'15s'`). */
  retryBudget?: Duration;
  /**
   * Per-message TTL (`Nats-TTL`): the server deletes the message this long after storing it (at
   * least `'1s'`); `'never'` keeps it past the stream's `maxAge`. With `deliverAt`/`delay`, counted
   * from delivery. Needs nats-server 2.11+ and `allowMsgTtl` on the stream. Default none.
   */
  ttl?: Duration | 'never';
  /**
   * Store the message on its subject at this time, not now (a nats-server message schedule; a past
   * time delivers at once). The PubAck is the schedule's. Needs nats-server 2.12+ and
   * `allowMsgSchedules` on the stream. Default none.
   */
  deliverAt?: Date;
  /** `deliverAt` this long from now. Default none. */
  delay?: Duration;
}

/** What `emit()` sends when it is given a record instead of plain data. */
export class JetStreamRecord<T = unknown> {
  constructor(
    readonly data: T,
    readonly options: JetStreamPublishOptions = {},
  ) {}
}

/** Builds a `JetStreamRecord` for `client.emit(subject, record)`. */
export class JetStreamRecordBuilder<T = unknown> {
  private options: JetStreamPublishOptions = {};

  constructor(private data?: T) {}

  setData(data: T): this {
    this.data = data;
    return this;
  }

  setMsgId(msgId: string): this {
    this.options = { ...this.options, msgId };
    return this;
  }

  setHeaders(headers: JetStreamPublishOptions['headers']): this {
    this.options = { ...this.options, headers };
    return this;
  }

  setExpect(expect: PublishExpectations): this {
    this.options = { ...this.options, expect: { ...this.options.expect, ...expect } };
    return this;
  }

  setTimeout(timeout: Duration): this {
    this.options = { ...this.options, timeout };
    return this;
  }

  /** How long this publish retries timeouts and no-responders (same msgId). */
  setRetryBudget(retryBudget: Duration): this {
    this.options = { ...this.options, retryBudget };
    return this;
  }

  /** Per-message TTL (nats-server 2.11+, `allowMsgTtl`). */
  setTtl(ttl: Duration | 'never'): this {
    this.options = { ...this.options, ttl };
    return this;
  }

  /** Deliver at this time (nats-server 2.12+, `allowMsgSchedules`); replaces a delay. */
  setDeliverAt(deliverAt: Date): this {
    this.options = { ...this.options, deliverAt, delay: undefined };
    return this;
  }

  /** Deliver after this delay (nats-server 2.12+, `allowMsgSchedules`); replaces a deliverAt. */
  setDelay(delay: Duration): this {
    this.options = { ...this.options, delay, deliverAt: undefined };
    return this;
  }

  build(): JetStreamRecord<T> {
    return new JetStreamRecord(this.data as T, this.options);
  }
}
