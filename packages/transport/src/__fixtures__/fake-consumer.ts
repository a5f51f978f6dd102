// A nats.js consumer and its ConsumerMessages without a server, for unit tests of the puller and
// the runners. It plays the client's side of a `consume()` as nats.js 3 does: the first pull of
// `max_messages` is sent at once; after each delivered message the client, when what it still
// waits for is at most `threshold_messages` (75 % by default), tops its request up to
// `max_messages` through the messages' own `pull()`, and counts a pull as pending only once it
// went through. So what the puller lets through is what `pulls` records, and `pending` is the
// client's own count.
import type { ConsumeOptions, Consumer, ConsumerInfo, ConsumerMessages, ConsumerNotification, JsMsg } from '@nats-io/jetstream';

type Callback = (msg: JsMsg) => void;

export class FakeConsumerMessages implements ConsumerMessages {
  /** Messages asked for by each pull that reached the server, in order (the first at `consume()`). */
  readonly pulls: number[] = [];
  /** `close()` was called. */
  isClosed = false;
  /** `stop()` was called (the puller gave up this subscription). */
  isStopped = false;
  private readonly statuses: ConsumerNotification[] = [];
  private wake?: () => void;
  private readonly done: Promise<void>;
  private finish!: () => void;
  /** Messages requested by the pulls sent and not delivered yet (the client's `pending.msgs`). */
  pending = 0;

  constructor(
    private readonly callback: Callback,
    private readonly batch: number,
    private readonly threshold = Math.round(batch * 0.75) || 1,
  ) {
    this.done = new Promise<void>((resolve) => (this.finish = resolve));
    this.pull({ batch });
  }

  /** The client's request to the server (the puller may hold it back, or make it smaller). */
  pull(opts: { batch: number }): void {
    this.pulls.push(opts.batch);
    this.pending += opts.batch;
  }

  /** The client tops its request up to `max_messages` (as after a reconnect or an expired pull). */
  topUp(): void {
    this.pull({ batch: this.batch - this.pending });
  }

  /** The server delivers `msg`; then the client tops its request up when it fell to the threshold. */
  deliver(msg: JsMsg): void {
    this.callback(msg);
    if (this.pending > 0) this.pending--;
    if (this.pending <= this.threshold) this.pull({ batch: this.batch - this.pending });
  }

  /** The server delivers what the pulls sent so far asked for (not what the refills they cause ask), made by `make`. */
  deliverPending(make: () => JsMsg): number {
    const n = this.pending;
    for (let i = 0; i < n && !this.isClosed && !this.isStopped; i++) this.deliver(make());
    return n;
  }

  /** The client reports `status` (`consumer_deleted`, `heartbeats_missed`...). */
  notify(status: ConsumerNotification): void {
    this.statuses.push(status);
    this.wake?.();
  }

  async *status(): AsyncIterable<ConsumerNotification> {
    while (!this.isStopped && !this.isClosed) {
      const next = this.statuses.shift();
      if (next) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  close(): Promise<void> {
    this.isClosed = true;
    this.wake?.();
    this.finish();
    return Promise.resolve();
  }

  closed(): Promise<void> {
    return this.done;
  }

  stop(): void {
    this.isStopped = true;
    this.wake?.();
    this.finish();
  }

  [Symbol.asyncIterator](): AsyncIterator<JsMsg> {
    throw new Error('FakeConsumerMessages: the puller consumes with a callback, not an iterator');
  }

  getProcessed(): number {
    return 0;
  }

  getPending(): number {
    return 0;
  }

  getReceived(): number {
    return 0;
  }
}

/** A pull consumer: every `consume()` makes a new `FakeConsumerMessages` (the last is `messages`). */
export class FakeConsumer implements Consumer {
  readonly consumes: { options: ConsumeOptions; messages: FakeConsumerMessages }[] = [];
  deleted = false;
  /** What `info()` says is left to deliver. */
  numPending = 0;

  constructor(readonly name = 'orders') {}

  /** The messages of the last `consume()`. */
  get messages(): FakeConsumerMessages {
    const last = this.consumes.at(-1);
    if (!last) throw new Error('FakeConsumer: consume() was never called');
    return last.messages;
  }

  isPullConsumer(): boolean {
    return true;
  }

  isPushConsumer(): boolean {
    return false;
  }

  consume(options: ConsumeOptions = {}): Promise<ConsumerMessages> {
    if (!options.callback) throw new Error('FakeConsumer: consume() without a callback');
    const max = options.max_messages ?? 100;
    const threshold = 'threshold_messages' in options ? options.threshold_messages : undefined;
    const messages = new FakeConsumerMessages(options.callback as Callback, max, threshold);
    this.consumes.push({ options, messages });
    return Promise.resolve(messages);
  }

  next(): Promise<JsMsg | null> {
    throw new Error('FakeConsumer.next() is not used by the runners');
  }

  fetch(): Promise<ConsumerMessages> {
    throw new Error('FakeConsumer.fetch() is not used by the runners');
  }

  info(): Promise<ConsumerInfo> {
    return Promise.resolve({ name: this.name, num_pending: this.numPending } as ConsumerInfo);
  }

  delete(): Promise<boolean> {
    this.deleted = true;
    return Promise.resolve(true);
  }
}
