import { DeliverPolicy, type Consumer, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { HandlerBinding, HandlerBindingInfo } from '../bindings/handler-binding.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { ConsumerRunner, type RunnerHost } from './consumer-runner.js';
import { OrderedRunner, type OrderedFailure } from './ordered/ordered-runner.js';
import { describeValue } from '../utils/describe-value.js';

/** What the server drives of a handler's runner, whatever its mode. */
export interface HandlerRunner {
  readonly binding: HandlerBinding;
  readonly info: HandlerBindingInfo;
  start(): Promise<void>;
  close(timeoutMs: number): Promise<void>;
}

/** The runner of one handler: the shared runner for `'shared'`, `'broadcast'` and `'push'`, the ordered one for `'ordered'`. */
export function createRunner(binding: HandlerBinding, host: RunnerHost, js: JetStreamClient): HandlerRunner {
  if (binding.mode !== 'ordered') return new ConsumerRunner(binding, host);
  return new OrderedRunner(binding, host, { consumer: () => orderedConsumer(js, binding), onExhausted: 'stop' });
}

/** The client's ordered consumer of a binding, from its start (its deliver policy, or a checkpoint). */
export function orderedConsumer(js: JetStreamClient, b: HandlerBinding, filter = b.subject, start: Pick<HandlerBinding, 'deliverPolicy' | 'optStartSeq' | 'optStartTime'> = b): Promise<Consumer> {
  const policy: Record<HandlerBinding['deliverPolicy'], DeliverPolicy> = {
    all: DeliverPolicy.All,
    new: DeliverPolicy.New,
    last: DeliverPolicy.Last,
    last_per_subject: DeliverPolicy.LastPerSubject,
    by_start_sequence: DeliverPolicy.StartSequence,
    by_start_time: DeliverPolicy.StartTime,
  };
  return js.consumers.get(b.stream, {
    name_prefix: b.durable,
    filter_subjects: filter,
    deliver_policy: policy[start.deliverPolicy],
    ...(start.deliverPolicy === 'by_start_sequence' ? { opt_start_seq: start.optStartSeq } : {}),
    ...(start.deliverPolicy === 'by_start_time' && start.optStartTime ? { opt_start_time: start.optStartTime.toISOString() } : {}),
    inactive_threshold: b.inactiveThresholdMs,
  });
}

/** `JetStreamServer.replay()`: a range of a stream, through a handler. */
export interface ReplayOptions {
  /** First message: a stream sequence, or the first message stored at or after this time. */
  from: number | Date;
  /** Last message: a stream sequence, or the last message stored at or before this time. Default: the end of the stream when the replay reaches it. */
  to?: number | Date;
  /** Only messages on these subjects (a filter the handler's subject covers). Default: the handler's subject. */
  filter?: string;
}

/** What a replay did. */
export interface ReplayResult {
  /** Messages the handler handled. */
  handled: number;
  /** Messages that failed every attempt and had no dead-letter route (with one they are dead-lettered and not listed). */
  failed: OrderedFailure[];
  /** Stream sequence of the last message read, 0 when none was. */
  lastSequence: number;
}

/**
 * Replays `options` through the handler of `binding` on an ordered consumer of its own: the
 * durable consumers of the app are not touched, and the handler's retry, poison and dead-letter
 * rules apply as in `'ordered'` mode (a message that fails every attempt without a route is
 * listed in `failed`, and the replay goes on).
 */
export async function replay(js: JetStreamClient, jsm: JetStreamManager, bindings: HandlerBinding[], subject: string, host: RunnerHost, options: ReplayOptions): Promise<ReplayResult> {
  const binding = bindings.find((b) => b.subject === subject);
  if (!binding) {
    throw new JetStreamConfigError(`JetStreamServer.replay(): no handler is bound to "${subject}"; the handlers are ${bindings.map((b) => `"${b.subject}"`).join(', ') || 'none'}.`);
  }
  const at = `replay("${binding.subject}")`;
  const { from, to, filter = binding.subject } = options;
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
  const runner = new OrderedRunner(replayBinding, host, { consumer: () => orderedConsumer(js, replayBinding, filter, start), until, onExhausted: 'collect' });
  await runner.start();
  await runner.done;
  await runner.close(0);
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
export type { OrderedFailure };
