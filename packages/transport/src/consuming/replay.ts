import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { HandlerBinding } from '../bindings/handler-binding.js';
import type { RunnerHost } from './consumer-runner.js';
import { OrderedRunner } from './ordered/ordered-runner.js';
import { orderedConsumer, type HandlerRunner } from './runners.js';
import type { ReplayOptions, ReplayResult } from '../delivery/replay.types.js';
import { replayedHandler, replayRange } from '../delivery/replay-range.js';

/**
 * Replays `options` through the handler of `binding` on an ordered consumer of its own: the
 * durable consumers of the app are not touched, and the handler's retry, poison and dead-letter
 * rules apply as in the ordered mode (a message that fails every attempt without a route is
 * listed in `failed`, and the replay goes on).
 */
export async function replay(
  js: JetStreamClient,
  jsm: JetStreamManager,
  bindings: HandlerBinding[],
  subject: string,
  host: RunnerHost,
  options: ReplayOptions,
  /** Replays under way, so the server's `close()` stops them. */
  active: Set<HandlerRunner>,
): Promise<ReplayResult> {
  const binding = replayedHandler(bindings, subject);
  const { start, filter, to, fromTime } = replayRange(binding.subject, options);
  // Up to the end of the stream as it is now, when no end is given: a replay finishes.
  const until = to ?? (await jsm.streams.info(binding.stream)).state.last_seq;
  const replayBinding: HandlerBinding = { ...binding, durable: `${binding.durable}_replay` };
  const runner = new OrderedRunner(replayBinding, host, {
    consumer: () => orderedConsumer(js, jsm, replayBinding, filter, start),
    until,
    onExhausted: 'collect',
    fromTime,
  });
  active.add(runner);
  try {
    await runner.start();
    await runner.done;
  } finally {
    active.delete(runner);
    await runner.close(0);
  }
  return { handled: runner.handled, failed: [...runner.failures], lastSequence: runner.lastSequence };
}
