import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { Checkpoint, DeliverPolicyName, JetStreamServerOptions } from '../interfaces/jetstream-options.interface.js';
import { describeValue } from '../errors/describe-value.js';
import type { DeliveryMode } from './modes.js';

/** What a checkpoint reads and moves of a handler (an `UnresolvedBinding` is one). */
export interface CheckpointedHandler {
  readonly subject: string;
  readonly durable: string;
  readonly mode: DeliveryMode;
  deliverPolicy: DeliverPolicyName;
  optStartSeq?: number;
  optStartTime?: Date;
}

/**
 * Asks the app's `checkpoints` source where each handler starts, and moves the handler's start
 * there. A bad answer is a boot error naming the handler: a handler that silently started
 * somewhere else would skip or repeat what the application recorded.
 */
export async function applyCheckpoints(bindings: readonly CheckpointedHandler[], source: JetStreamServerOptions['checkpoints']): Promise<void> {
  if (!source) return;
  for (const b of bindings) {
    const at = `checkpoints() for handler "${b.subject}"`;
    let checkpoint: Checkpoint | undefined;
    try {
      checkpoint = await source({ subject: b.subject, durable: b.durable, mode: b.mode });
    } catch (cause) {
      throw new JetStreamConfigError(`${at} threw: ${cause instanceof Error ? cause.message : String(cause)}. The handler cannot know where to start.`, {
        cause,
      });
    }
    if (checkpoint === undefined || checkpoint === null) continue;
    if ('afterSequence' in checkpoint && Number.isInteger(checkpoint.afterSequence) && checkpoint.afterSequence >= 0) {
      Object.assign(b, { deliverPolicy: 'by_start_sequence', optStartSeq: checkpoint.afterSequence + 1, optStartTime: undefined });
    } else if ('fromTime' in checkpoint && checkpoint.fromTime instanceof Date && !Number.isNaN(checkpoint.fromTime.getTime())) {
      Object.assign(b, { deliverPolicy: 'by_start_time', optStartTime: checkpoint.fromTime, optStartSeq: undefined });
    } else {
      throw new JetStreamConfigError(
        `${at} returned ${describeValue(checkpoint)}: return { afterSequence: n } (a stream sequence ≥ 0), { fromTime: Date }, or undefined to keep the handler's deliverPolicy.`,
      );
    }
  }
}
