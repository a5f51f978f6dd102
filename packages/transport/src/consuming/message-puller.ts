import { JetStreamApiCodes, JetStreamApiError, isPushConsumer, type Consumer, type ConsumerMessages, type JsMsg, type PushConsumer } from '@nats-io/jetstream';
import type { Subscription } from '@nats-io/nats-core';
import type { LoggerService } from '@nestjs/common';
import { describeError } from '../settlement/settle-policy.js';

const HEAL_RETRY_MAX_MS = 5000;
// Short pulls: a consumer deleted between pulls, or a pull lost with the node it went to, is noticed
// within two idle heartbeats (half of this each). The fault suite's cluster scenarios paused
// handling for up to 19 s with 10 s (mean 7.9 s over 12 faults) and up to 11.5 s with 5 s (mean 5.3 s).
const PULL_EXPIRES_MS = 5_000;
const ORDERED_PULL_EXPIRES_MS = 2_000;

/** What a puller pulls from: a handler's consumer, or the dead-letter advisory consumer. */
export interface PullTarget {
  /** `stream/durable`, for logs. */
  readonly key: string;
  /** Messages asked for per pull: the most this process has requested and not yet received. */
  readonly maxMessages: number;
  /**
   * Whether received messages still wait for a handler. While they do, the puller asks for no
   * more, so what a process holds beyond what it runs stays at `maxMessages`: a crashed process
   * strands only that many until ackWait, and a second instance gets the rest at once.
   */
  hasBacklog?(): boolean;
  /** The consumer to pull from (or, for a push consumer, to subscribe to); with `recreate`, first put it back on the server (it was deleted). */
  consumer(recreate: boolean): Promise<Consumer | PushConsumer>;
  /** An ordered consumer: the client recreates it after a gap or a deletion, so the puller leaves that to it. */
  readonly ordered?: boolean;
}

/** Pulls a durable consumer's messages into a callback, and pulls again after the consumer is deleted. */
export class MessagePuller {
  private messages?: ConsumerMessages;
  /** A pull the client wanted while the backlog was not empty; sent by `resume()`. */
  private deferred?: () => void;
  private healing = false;
  private closing = false;

  constructor(
    private readonly target: PullTarget,
    private readonly logger: LoggerService,
    private readonly onMessage: (msg: JsMsg) => void,
  ) {}

  async start(): Promise<void> {
    await this.consume(false);
  }

  /** The backlog emptied: send the pull that waited for it, if any. */
  resume(): void {
    const pull = this.deferred;
    this.deferred = undefined;
    pull?.();
  }

  /**
   * Stops pulling; buffered messages still reach the callback. The subscription is drained, not
   * dropped: messages the server sent before it saw the unsubscribe still reach the callback (the
   * runner naks them for another instance at once). Dropped, they would wait out ackWait (30 s
   * by default) on the server: the fault suite saw that when a service stopped during a burst.
   */
  async close(): Promise<void> {
    this.closing = true;
    const messages = this.messages;
    this.messages = undefined;
    const sub = (messages as (ConsumerMessages & { sub?: Subscription }) | undefined)?.sub;
    if (sub && !sub.isClosed() && !sub.isDraining()) await sub.drain().catch(() => undefined);
    await messages?.close().catch(() => undefined);
  }

  private async consume(recreate: boolean): Promise<void> {
    const consumer = await this.target.consumer(recreate);
    // A push consumer is bounded by the server (max_ack_pending) rather than by pulls.
    const push = isPushConsumer(consumer);
    const messages = push
      ? await (consumer as PushConsumer).consume({ callback: this.onMessage })
      : await (consumer as Consumer).consume({
          max_messages: this.target.maxMessages,
          // Short pulls, so a consumer deleted between pulls is noticed within seconds; shorter still
          // for an ordered consumer, which the client puts back only after two missed heartbeats (half
          // the expiry each): a gap in an ordered handler holds every later message.
          expires: this.target.ordered ? ORDERED_PULL_EXPIRES_MS : PULL_EXPIRES_MS,
          callback: this.onMessage,
        });
    this.messages = messages;
    this.gate(messages);
    void this.watch(messages);
    // No heartbeats reach a queue group: look for a deleted push consumer as often as a pull expires.
    if (push) {
      const timer = setInterval(() => (this.messages === messages ? void this.check(messages) : clearInterval(timer)), PULL_EXPIRES_MS);
      timer.unref();
      void messages.closed().finally(() => clearInterval(timer));
    }
  }

  /**
   * Holds back the client's next pull while the target has a backlog. The v3 client tops its
   * requests up from inside `pull()`, which is the one place to wait: its accounting of what it
   * requested only changes when the pull is really sent.
   */
  private gate(messages: ConsumerMessages): void {
    const hasBacklog = this.target.hasBacklog?.bind(this.target);
    const client = messages as ConsumerMessages & { pull?: (opts: unknown) => void };
    if (!hasBacklog || typeof client.pull !== 'function') return;
    const pull = client.pull.bind(client);
    client.pull = (opts: unknown) => {
      // Closing: no new pull (the subscription is being drained).
      if (this.closing) return;
      if (!hasBacklog()) {
        pull(opts);
        return;
      }
      this.deferred = () => {
        if (this.messages === messages && !this.closing) pull(opts);
      };
    };
  }

  private async watch(messages: ConsumerMessages): Promise<void> {
    if (this.target.ordered) return;
    for await (const status of messages.status()) {
      if (status.type === 'consumer_deleted' || status.type === 'consumer_not_found') {
        void this.heal(messages);
        return;
      }
      // A pull that found nobody, or went quiet: look whether the consumer is still there.
      if (status.type === 'no_responders' || status.type === 'heartbeats_missed') void this.check(messages);
    }
  }

  private async check(messages: ConsumerMessages): Promise<void> {
    if (this.healing || this.closing) return;
    try {
      await this.target.consumer(false);
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) await this.heal(messages);
    }
  }

  /** A deleted consumer's pull never resumes by itself: put the consumer back and pull again. */
  private async heal(dead: ConsumerMessages): Promise<void> {
    if (this.healing || this.closing || this.messages !== dead) return;
    this.healing = true;
    const key = this.target.key;
    this.logger.warn?.(`Consumer ${key} disappeared from the server; putting it back`);
    dead.stop();
    for (let pause = 100; !this.closing; pause = Math.min(pause * 2, HEAL_RETRY_MAX_MS)) {
      try {
        await this.consume(true);
        this.logger.log?.(`Consumer ${key} is back; consuming again`);
        break;
      } catch (err) {
        this.logger.error?.(`Could not put back consumer ${key}: ${describeError(err)}; retrying in ${pause} ms`);
        await new Promise((r) => setTimeout(r, pause));
      }
    }
    this.healing = false;
  }
}
