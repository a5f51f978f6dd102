import type { JsMsg } from '@nats-io/jetstream';

/**
 * The default idempotency key, `'<stream>:<seq>'`: one per message of a stream, whatever its publisher did.
 * It lives beside the context (`ctx.idempotencyKey` falls back to it) so the context imports nothing of idempotency.
 */
export function sequenceKey(msg: Pick<JsMsg, 'info'>): string {
  return `${msg.info.stream}:${msg.info.streamSequence}`;
}
