import type { ContractHandler } from './app-contract.js';
import type { DeliveryMode } from '../../delivery/modes.js';
import type { StreamDeclaration } from '../../interfaces/jetstream-options.interface.js';

/** What each delivery mode means to a reader of the document (docs/delivery-modes.md). */
export const MODE_SUMMARIES: Record<DeliveryMode, string> = {
  shared: 'one durable pull consumer shared by every instance: each message is handled once',
  broadcast: 'a consumer per instance: every instance handles every message',
  ordered: 'an ordered consumer per instance: every message, in stream order, one at a time',
  push: 'a durable push consumer delivered to a queue group: each message is handled once',
};

/** `1500` → `1.5s`, `60000` → `1m`: durations as people read them. */
export function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** One paragraph on the handler's consumer: mode, acks, redeliveries, dead letters. */
export function describeConsumer(b: ContractHandler['binding'], deadLetter: string | undefined): string {
  const retries = b.maxDeliver > 1 ? `up to ${b.maxDeliver} deliveries, backoff ${b.backoffMs.map(formatMs).join(', ')}` : 'one delivery, no retry';
  const failed = deadLetter ? `then dead-lettered to \`${deadLetter}\`` : 'then terminated (no dead-letter route)';
  return [
    `Consumer \`${b.durable}\` on stream \`${b.stream ?? '(found by the server at listen)'}\`, mode \`${b.mode}\`: ${MODE_SUMMARIES[b.mode]}.`,
    `Delivers from \`${b.deliverPolicy}\`; ack wait ${formatMs(b.ackWaitMs)}, handler timeout ${formatMs(b.handlerTimeoutMs)}, ${b.concurrency} at once (max ack pending ${b.maxAckPending}).`,
    `A failed message is retried: ${retries}; ${failed}. A payload that fails its schema is not retried.`,
  ].join('\n\n');
}

/** One line on the stream that stores a channel's subject. */
export function describeStream(s: StreamDeclaration): string {
  const parts = [`retention ${s.retention ?? 'limits'}`, `${s.storage ?? 'file'} storage`, `${s.replicas ?? 1} replica(s)`];
  if (s.maxAge !== undefined) parts.push(`max age ${String(s.maxAge)}`);
  if (s.duplicateWindow !== undefined) parts.push(`duplicate window ${String(s.duplicateWindow)}`);
  return `Stored in stream \`${s.name}\` (${s.subjects.join(', ')}): ${parts.join(', ')}.`;
}
