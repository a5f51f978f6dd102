import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { HandlerBinding } from '../bindings/handler-binding.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { describeValue } from '../errors/describe-value.js';
import type { RunnerHost } from './consumer-runner.js';
import { OrderedRunner } from './ordered/ordered-runner.js';
import { orderedConsumer, type HandlerRunner } from './runners.js';
import type { ReplayOptions, ReplayResult } from '../delivery/replay.types.js';
import { subjectMatches, subjectProblem } from '../utils/subjects.js';

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
  const binding = bindings.find((b) => b.subject === subject);
  if (!binding) {
    throw new JetStreamConfigError(`JetStreamServer.replay(): no handler is bound to "${subject}"; the handlers are ${bindings.map((b) => `"${b.subject}"`).join(', ') || 'none'}.`);
  }
  const at = `replay("${binding.subject}")`;
  const { from, to, filter = binding.subject } = options;
  const badFilter = typeof filter === 'string' ? subjectProblem(filter) : 'it is not a string';
  if (badFilter || !subjectMatches(binding.subject, filter)) {
    throw new JetStreamConfigError(`${at}: filter ${describeValue(filter)} ${badFilter ? `is invalid: ${badFilter}` : `is not covered by the handler's subject "${binding.subject}"`}; replay subjects the handler itself takes.`);
  }
  if (!(from instanceof Date ? !Number.isNaN(from.getTime()) : Number.isInteger(from) && from >= 1)) {
    throw new JetStreamConfigError(`${at}: from must be a stream sequence ≥ 1 or a Date; got ${describeValue(from)}.`);
  }
  if (to !== undefined && !(to instanceof Date ? !Number.isNaN(to.getTime()) : Number.isInteger(to) && to >= 1)) {
    throw new JetStreamConfigError(`${at}: to must be a stream sequence ≥ 1 or a Date; got ${describeValue(to)}.`);
  }
  // Up to the end of the stream as it is now, when no end is given: a replay finishes.
  const until = to ?? (await jsm.streams.info(binding.stream)).state.last_seq;
  const start = from instanceof Date ? { deliverPolicy: 'by_start_time' as const, optStartTime: from } : { deliverPolicy: 'by_start_sequence' as const, optStartSeq: from };
  const replayBinding: HandlerBinding = { ...binding, durable: `${binding.durable}_replay` };
  const runner = new OrderedRunner(replayBinding, host, { consumer: () => orderedConsumer(js, jsm, replayBinding, filter, start), until, onExhausted: 'collect', fromTime: from instanceof Date ? from : undefined });
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
