import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { LoggerService } from '@nestjs/common';
import { isObservable, lastValueFrom } from 'rxjs';
import type { JetStreamCodec } from '../codecs/codec.interface.js';
import { JetStreamContext, type MessageSettler } from '../ctx-host/jetstream.context.js';
import { DecodeError } from '../errors/handler.errors.js';
import { decideAfterRun, decideBeforeRun, describeError, nakDelay, type SettleDecision } from '../settlement/settle-policy.js';
import { deliveryCountOf } from '../utils/delivery-count.js';
import { toMillis, type Duration } from '../utils/duration.js';
import type { HandlerBinding } from './handler-binding.js';

/** What a runner needs from its server. */
export interface RunnerHost {
  readonly logger: LoggerService;
  readonly codec: JetStreamCodec;
  /** Whether the server understands `+TERM reason` (2.10.4+); older ones ignore the whole term. */
  readonly termReasonSupported: boolean;
  /** Called when attempts ran out or a message was poison, after the term. */
  onTerminated(binding: HandlerBinding, ctx: JetStreamContext, reason: string, exhausted: boolean): void;
  /** The consumer to pull from; with `recreate`, first put it back on the server (it was deleted). */
  consumerFor(binding: HandlerBinding, recreate: boolean): Promise<Consumer>;
}

const HEAL_RETRY_MAX_MS = 5000;

/**
 * Runs one durable pull consumer: takes messages as fast as the server gives them, runs at
 * most `concurrency` handlers at once (the rest wait in a local queue bounded by
 * `maxAckPending`), keeps long runs alive with `working()`, and settles each message.
 */
export class ConsumerRunner implements MessageSettler {
  private messages?: ConsumerMessages;
  private readonly queue: JsMsg[] = [];
  private queueHead = 0;
  private running = 0;
  /** Every received, unsettled message, with the sweep tick when it was last touched (received or `working()`). */
  private readonly unsettled = new Map<JsMsg, number>();
  private tick = 0;
  private sweepTimer?: NodeJS.Timeout;
  private acks: JsMsg[] = [];
  private ackFlush?: NodeJS.Immediate;
  private closing = false;
  private healing = false;
  private idle?: () => void;

  private readonly codecWantsSubject: boolean;

  constructor(
    readonly binding: HandlerBinding,
    private readonly host: RunnerHost,
  ) {
    this.codecWantsSubject = host.codec.decode.length >= 3;
  }

  async start(): Promise<void> {
    const { binding } = this;
    await this.consume(await this.host.consumerFor(binding, false));
    // working() well before ackWait runs out, for messages queued or still running.
    const every = Math.max(Math.floor(binding.ackWaitMs / 3), 50);
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  get inFlight(): number {
    return this.running;
  }

  /** Stops pulling, naks what is queued, waits for running handlers up to `timeoutMs`, naks the stragglers. */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    const messages = this.messages;
    this.messages = undefined;
    if (messages) {
      const stopped = messages.close();
      this.nakQueued();
      await stopped.catch(() => undefined);
    }
    this.nakQueued();
    if (this.running > 0) {
      const drained = new Promise<void>((resolve) => (this.idle = resolve));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs)));
      const late = await Promise.race([drained.then(() => false), timedOut]);
      clearTimeout(timer);
      if (late) {
        this.host.logger.warn?.(
          `${this.running} handler(s) for "${this.binding.subject}" still running after shutdownTimeout ${timeoutMs} ms: naked for redelivery`,
          'JetStreamServer',
        );
        for (const msg of this.unsettled.keys()) msg.nak();
      }
    }
    clearInterval(this.sweepTimer);
    clearImmediate(this.ackFlush);
    this.flushAcks();
    this.unsettled.clear();
  }

  // --- MessageSettler: what JetStreamContext calls -------------------------------------------

  ack(ctx: JetStreamContext): void {
    if (!this.mark(ctx, 'ack')) return;
    // Acks of handlers that finish in different microtasks would each flush a socket write;
    // gathered until the end of this event-loop turn they leave together (less CPU per message).
    this.acks.push(ctx.getMessage());
    this.ackFlush ??= setImmediate(this.flushAcks);
  }

  nak(ctx: JetStreamContext, delay?: Duration): void {
    if (!this.mark(ctx, 'nak')) return;
    const ms = delay === undefined ? nakDelay(ctx.getMessage().info.deliveryCount, this.binding.backoffMs) : toMillis(delay, 'nak(delay)');
    ctx.getMessage().nak(ms);
  }

  term(ctx: JetStreamContext, reason?: string): void {
    if (!this.mark(ctx, 'term')) return;
    ctx.getMessage().term(this.host.termReasonSupported ? reason : undefined);
  }

  working(ctx: JetStreamContext): void {
    if (ctx.isSettled()) return;
    const msg = ctx.getMessage();
    msg.working();
    if (this.unsettled.has(msg)) this.unsettled.set(msg, this.tick);
  }

  // --- internals ------------------------------------------------------------------------------

  private readonly flushAcks = (): void => {
    const acks = this.acks;
    this.acks = [];
    this.ackFlush = undefined;
    for (const msg of acks) msg.ack();
  };

  private mark(ctx: JetStreamContext, action: 'ack' | 'nak' | 'term'): boolean {
    if (ctx.settledWith) return false;
    ctx.settledWith = action;
    return true;
  }

  private receive(msg: JsMsg): void {
    if (this.closing) {
      msg.nak();
      return;
    }
    this.unsettled.set(msg, this.tick);
    if (this.running < this.binding.concurrency) {
      this.run(msg);
      return;
    }
    this.queue.push(msg);
  }

  private run(msg: JsMsg): void {
    this.running++;
    void this.process(msg);
  }

  private finished(msg: JsMsg): void {
    this.running--;
    this.unsettled.delete(msg);
    this.next();
  }

  private next(): void {
    if (this.queueHead < this.queue.length && !this.closing) {
      const msg = this.queue[this.queueHead];
      this.queue[this.queueHead++] = undefined as unknown as JsMsg;
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      this.run(msg);
      return;
    }
    if (this.running === 0) this.idle?.();
  }

  private nakQueued(): void {
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const msg = this.queue[i];
      msg.nak();
      this.unsettled.delete(msg);
    }
    this.queue.length = 0;
    this.queueHead = 0;
  }

  /** Never rejects: every outcome is a settle decision. One async frame per message. */
  private async process(msg: JsMsg): Promise<void> {
    try {
      const { binding, host } = this;
      const ctx = new JetStreamContext(msg, this);
      const fast = deliveryCountOf((msg as JsMsg & { reply?: string }).reply ?? '');
      const attempt = Number.isNaN(fast) ? msg.info.deliveryCount : fast;
      const early = decideBeforeRun(attempt, binding);
      if (early) return this.settle(ctx, early);

      let data: unknown;
      try {
        // The subject is decoded from bytes on first use: only codecs that take it (3 parameters) pay for it.
        data = this.codecWantsSubject ? host.codec.decode(msg.data, msg.headers, msg.subject) : host.codec.decode(msg.data, msg.headers, '');
      } catch (cause) {
        const err = new DecodeError(msg.subject, msg.info.streamSequence, { cause });
        return this.settle(ctx, { action: 'term', exhausted: false, reason: describeError(err) }, err);
      }

      let failed = false;
      let error: unknown;
      try {
        const result: unknown = await binding.handler(data, ctx);
        if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
      } catch (err) {
        failed = true;
        // The exception Nest's pipeline raised, before any filter reshaped it.
        error = ctx.handlerError ?? err;
      }

      if (binding.manualAck) {
        if (!ctx.isSettled()) {
          host.logger.warn?.(
            `Handler for "${msg.subject}" (manualAck) returned without settling message ${msg.info.streamSequence}: it will be redelivered after ackWait ${binding.ackWaitMs} ms`,
            'JetStreamServer',
          );
        }
        return;
      }
      if (ctx.isSettled()) return;
      if (!failed) this.ack(ctx);
      else this.settle(ctx, decideAfterRun(error, failed, attempt, binding), error);
    } catch (err) {
      // Settling itself failed (the connection closed under us): the server redelivers after ackWait.
      this.host.logger.error?.(`Could not settle message on "${msg.subject}": ${describeError(err)}`, undefined, 'JetStreamServer');
    } finally {
      this.finished(msg);
    }
  }

  private settle(ctx: JetStreamContext, decision: SettleDecision, error?: unknown): void {
    const { binding, host } = this;
    switch (decision.action) {
      case 'ack':
        this.ack(ctx);
        return;
      case 'nak': {
        this.nak(ctx, decision.delayMs);
        const info = ctx.getMessage().info;
        host.logger.warn?.(
          `Handler for "${ctx.getSubject()}" failed on attempt ${info.deliveryCount}/${binding.maxDeliver} (stream ${info.stream} seq ${info.streamSequence}); redelivery in ${decision.delayMs} ms: ${describeError(error)}`,
          'JetStreamServer',
        );
        return;
      }
      case 'term':
        this.term(ctx, decision.reason);
        host.onTerminated(binding, ctx, decision.reason, decision.exhausted);
        return;
    }
  }

  /** Every ackWait/3: messages untouched for a whole interval get `working()`, so none reaches ackWait. */
  private sweep(): void {
    const tick = this.tick;
    for (const [msg, touched] of this.unsettled) {
      if (touched < tick) {
        msg.working();
        this.unsettled.set(msg, tick + 1);
      }
    }
    this.tick = tick + 1;
  }

  private async consume(consumer: Consumer): Promise<void> {
    const messages = await consumer.consume({
      max_messages: Math.min(this.binding.maxAckPending, 1000),
      callback: (msg) => this.receive(msg),
    });
    this.messages = messages;
    void this.watchStatus(messages);
  }

  private async watchStatus(messages: ConsumerMessages): Promise<void> {
    for await (const status of messages.status()) {
      if (status.type === 'consumer_deleted' || status.type === 'consumer_not_found') {
        void this.heal(messages);
        return;
      }
    }
  }

  /** A deleted consumer's pull never resumes by itself: put the consumer back and pull again. */
  private async heal(dead: ConsumerMessages): Promise<void> {
    if (this.healing || this.closing || this.messages !== dead) return;
    this.healing = true;
    const key = `${this.binding.stream}/${this.binding.durable}`;
    this.host.logger.warn?.(`Consumer ${key} disappeared from the server; putting it back`, 'JetStreamServer');
    dead.stop();
    for (let pause = 100; !this.closing; pause = Math.min(pause * 2, HEAL_RETRY_MAX_MS)) {
      try {
        await this.consume(await this.host.consumerFor(this.binding, true));
        this.host.logger.log?.(`Consumer ${key} is back; consuming again`, 'JetStreamServer');
        break;
      } catch (err) {
        this.host.logger.error?.(`Could not put back consumer ${key}: ${describeError(err)}; retrying in ${pause} ms`, undefined, 'JetStreamServer');
        await new Promise((r) => setTimeout(r, pause));
      }
    }
    this.healing = false;
  }
}
