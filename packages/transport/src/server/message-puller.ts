import { JetStreamApiCodes, JetStreamApiError, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { describeError } from '../settlement/settle-policy.js';
import type { RunnerHost } from './consumer-runner.js';
import type { HandlerBinding } from './handler-binding.js';

const LOG_CONTEXT = 'JetStreamServer';
const HEAL_RETRY_MAX_MS = 5000;
const PULL_EXPIRES_MS = 10_000;

/** Pulls a durable consumer's messages into a callback, and pulls again after the consumer is deleted. */
export class MessagePuller {
  private messages?: ConsumerMessages;
  private healing = false;
  private closing = false;

  constructor(
    private readonly binding: HandlerBinding,
    private readonly host: RunnerHost,
    private readonly onMessage: (msg: JsMsg) => void,
  ) {}

  async start(): Promise<void> {
    await this.consume(false);
  }

  /** Stops pulling; buffered messages still reach the callback. */
  async close(): Promise<void> {
    this.closing = true;
    const messages = this.messages;
    this.messages = undefined;
    await messages?.close().catch(() => undefined);
  }

  private async consume(recreate: boolean): Promise<void> {
    const consumer = await this.host.consumerFor(this.binding, recreate);
    const messages = await consumer.consume({
      max_messages: Math.min(this.binding.maxAckPending, 1000),
      // Short pulls, so a consumer deleted between pulls is noticed within seconds.
      expires: PULL_EXPIRES_MS,
      callback: this.onMessage,
    });
    this.messages = messages;
    void this.watch(messages);
  }

  private async watch(messages: ConsumerMessages): Promise<void> {
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
      await this.host.consumerFor(this.binding, false);
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) await this.heal(messages);
    }
  }

  /** A deleted consumer's pull never resumes by itself: put the consumer back and pull again. */
  private async heal(dead: ConsumerMessages): Promise<void> {
    if (this.healing || this.closing || this.messages !== dead) return;
    this.healing = true;
    const key = `${this.binding.stream}/${this.binding.durable}`;
    this.host.logger.warn?.(`Consumer ${key} disappeared from the server; putting it back`, LOG_CONTEXT);
    dead.stop();
    for (let pause = 100; !this.closing; pause = Math.min(pause * 2, HEAL_RETRY_MAX_MS)) {
      try {
        await this.consume(true);
        this.host.logger.log?.(`Consumer ${key} is back; consuming again`, LOG_CONTEXT);
        break;
      } catch (err) {
        this.host.logger.error?.(`Could not put back consumer ${key}: ${describeError(err)}; retrying in ${pause} ms`, undefined, LOG_CONTEXT);
        await new Promise((r) => setTimeout(r, pause));
      }
    }
    this.healing = false;
  }
}
