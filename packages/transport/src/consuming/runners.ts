import { DeliverPolicy, type Consumer, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { HandlerBinding, HandlerBindingInfo } from '../bindings/handler-binding.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { ConsumerRunner, type RunnerHost } from './consumer-runner.js';
import { OrderedRunner } from './ordered/ordered-runner.js';
import type { OrderedFailure, ReplayOptions, ReplayResult } from './replay.types.js';
import { describeValue } from '../errors/describe-value.js';
import { subjectMatches, subjectProblem } from '../utils/subjects.js';

/** What the server drives of a handler's runner, whatever its mode. */
export interface HandlerRunner {
  readonly binding: HandlerBinding;
  readonly info: HandlerBindingInfo;
  /** Handler calls running now (what `close()` waits for). */
  readonly runningHandlers: number;
  start(): Promise<void>;
  close(timeoutMs: number): Promise<void>;
}

/** The runner of one handler: the shared runner for `'shared'`, `'broadcast'` and `'push'`, the ordered one for `'ordered'`. */
export function createRunner(binding: HandlerBinding, host: RunnerHost, js: JetStreamClient, jsm: JetStreamManager): HandlerRunner {
  if (binding.mode !== 'ordered') return new ConsumerRunner(binding, host);
  const fromTime = binding.deliverPolicy === 'by_start_time' ? binding.optStartTime : undefined;
  return new OrderedRunner(binding, host, { consumer: () => orderedConsumer(js, jsm, binding), onExhausted: 'stop', fromTime });
}

/**
 * The client's ordered consumer of a binding, from its start (its deliver policy, or a
 * checkpoint). The client recreates it after a gap from the last sequence it saw, or, before it
 * saw any, from its `opt_start_seq`, else from the first message of the stream: so a start at new
 * messages is turned into the sequence it means now, and a start by time is guarded by the runner.
 */
export async function orderedConsumer(js: JetStreamClient, jsm: JetStreamManager, b: HandlerBinding, filter = b.subject, start: Pick<HandlerBinding, 'deliverPolicy' | 'optStartSeq' | 'optStartTime'> = b): Promise<Consumer> {
  const base = { name_prefix: b.durable, filter_subjects: filter, inactive_threshold: b.inactiveThresholdMs };
  switch (start.deliverPolicy) {
    case 'all':
      return js.consumers.get(b.stream, { ...base, deliver_policy: DeliverPolicy.All });
    case 'new': {
      const next = (await jsm.streams.info(b.stream)).state.last_seq + 1;
      return js.consumers.get(b.stream, { ...base, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: next });
    }
    case 'by_start_sequence':
      return js.consumers.get(b.stream, { ...base, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start.optStartSeq });
    case 'by_start_time':
      return js.consumers.get(b.stream, { ...base, deliver_policy: DeliverPolicy.StartTime, opt_start_time: start.optStartTime!.toISOString() });
    default:
      throw new JetStreamConfigError(`@JetStreamEvent('${b.subject}'): mode 'ordered' cannot start at deliverPolicy '${start.deliverPolicy}'.`);
  }
}

/**
 * Replays `options` through the handler of `binding` on an ordered consumer of its own: the
 * durable consumers of the app are not touched, and the handler's retry, poison and dead-letter
 * rules apply as in `'ordered'` mode (a message that fails every attempt without a route is
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

/** What the readiness check reads of a runner: an ordered consumer's name changes each time the client recreates it. */
export function healthConsumerOf(r: HandlerRunner): { stream: string; durable: string; subject: string; lag?: HandlerBinding['lag']; stoppedAt?: OrderedFailure } {
  const b = r.binding;
  const ordered = r instanceof OrderedRunner ? r : undefined;
  return { stream: b.stream, durable: ordered?.consumerName ?? b.durable, subject: b.subject, lag: b.lag, stoppedAt: ordered?.stoppedAt };
}

/** This instance's broadcast consumers go with it at a clean stop (their inactive threshold removes them after a crash). */
export async function removeInstanceConsumers(jsm: JetStreamManager, runners: HandlerRunner[]): Promise<void> {
  await Promise.all(runners.filter((r) => r.binding.mode === 'broadcast').map((r) => jsm.consumers.delete(r.binding.stream, r.binding.durable).catch(() => undefined)));
}

export { OrderedRunner };
export type { OrderedFailure, ReplayOptions, ReplayResult };
