import type { Consumer, PushConsumer } from '@nats-io/jetstream';
import type { HandlerBinding } from '../bindings/handler-binding.js';
import type { LeaderGuard } from '../connection/leader-guard.js';
import { modeOf } from '../delivery/modes.js';
import { pullPriority } from '../priority/priority-binding.js';
import { consumerElections, type LeaderWatch } from './leader-watch.js';
import type { PullTarget } from './pull-target.js';

/** What a `ConsumerRunner` tells its puller about itself. */
export interface RunnerPullState {
  /** Where a recreated consumer starts again (`AckLedger.resumePoint`). */
  resumePoint(): number | undefined;
  /** Messages received and waiting for a handler slot. */
  waiting(): number;
  /** Messages received and not settled yet (waiting or running). */
  held(): number;
  /** A singleton's pin was taken (`id`) or lost. */
  pinned(id: string | undefined): void;
}

/** The puller's view of one runner's consumer: where it is, how much to prefetch, its priority group. */
export function runnerPullTarget(
  binding: HandlerBinding,
  host: {
    consumerFor(binding: HandlerBinding, recreate: boolean, resumeFrom?: number): Promise<Consumer | PushConsumer>;
    readonly leaderGuard?: LeaderGuard;
    readonly leaderWatch?: LeaderWatch;
  },
  state: RunnerPullState,
): PullTarget {
  return {
    key: `${binding.stream}/${binding.durable}`,
    maxMessages: binding.prefetch,
    initialWindow: binding.concurrency,
    consumer: (recreate: boolean) => host.consumerFor(binding, recreate, recreate ? state.resumePoint() : undefined),
    waiting: state.waiting,
    held: state.held,
    priority: pullPriority(binding),
    pinned: state.pinned,
    leaderGuard: host.leaderGuard,
    elections: host.leaderWatch && modeOf(binding).repullsOnElection ? consumerElections(host.leaderWatch, binding.stream, binding.durable) : undefined,
  };
}
