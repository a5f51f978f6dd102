import { JetStreamApiError, isPushConsumer, type Consumer, type ConsumerInfo, type PushConsumer } from '@nats-io/jetstream';
import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/nats-core';
import type { LeaderCheck } from '../connection/leader-guard.js';

/** How long a check of the consumer (after a late heartbeat) may take before it counts as unanswered. */
export const CHECK_TIMEOUT_MS = 1_500;

/** The consumer's info within `timeoutMs`: with a leader, without one, or unanswered; other errors are thrown. */
export async function lookUpLeader(target: { consumer(recreate: boolean): Promise<Consumer | PushConsumer> }, timeoutMs: number): Promise<LeaderCheck> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  try {
    const info: Promise<ConsumerInfo | undefined> = target.consumer(false).then(async (c) => (isPushConsumer(c) ? undefined : (c as Consumer).info(true)));
    // A late answer is dropped (it would only repeat what the next check says).
    info.catch(() => undefined);
    const found = await Promise.race([info, late]);
    if (found === 'timeout') return 'timeout';
    return found?.cluster && !found.cluster.leader ? 'no-leader' : 'leader';
  } catch (err) {
    if (unanswered(err)) return 'timeout';
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** A JetStream request nobody answered: a timeout, no responders, or the 503 of a server without a JetStream leader. */
function unanswered(err: unknown): boolean {
  if (err instanceof TimeoutError || err instanceof NoRespondersError) return true;
  if (err instanceof RequestError) return err.isNoResponders() || err.cause instanceof TimeoutError;
  return err instanceof JetStreamApiError && err.status === 503;
}
