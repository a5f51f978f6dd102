import { BaseRpcContext } from '@nestjs/microservices';
import type { JetStreamContext } from '../../ctx-host/jetstream.context.js';
import { JETSTREAM_CONTEXT_BRAND } from '../../ctx-host/jetstream-context.brand.js';

/**
 * The `@Ctx()` of a batch handler (`@JetStreamEvent(subject, { batch })`): one `JetStreamContext`
 * per message, in the order of the payloads. The handler's outcome settles every message it did
 * not settle itself: returning acks them, throwing naks them with backoff (or dead-letters them on
 * their last attempt). `messages[i].nak()` / `.term()` / `.ack()` settle one message its own way.
 */
export class JetStreamBatchContext extends BaseRpcContext<[readonly JetStreamContext[]]> {
  declare readonly [JETSTREAM_CONTEXT_BRAND]: true;
  /** @internal The exception Nest's pipeline raised for this batch, before filters turned it into a reply. */
  declare handlerError?: unknown;

  /** @internal Batch contexts are made by the batch runner. */
  constructor(messages: readonly JetStreamContext[]) {
    super([messages]);
  }

  /** The messages of this batch, each with its own context (subject, headers, delivery info, settle methods). */
  get messages(): readonly JetStreamContext[] {
    return this.args[0];
  }

  /** How many messages the batch holds. */
  get size(): number {
    return this.args[0].length;
  }
}

// The exception-filter capture recognises it as a JetStream context (the handler's own error is kept).
Object.defineProperty(JetStreamBatchContext.prototype, JETSTREAM_CONTEXT_BRAND, { value: true });
