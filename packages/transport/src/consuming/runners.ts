import { DeliverPolicy, type Consumer, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { PinState } from '../interfaces/priority-options.interface.js';
import type { InstrumentedHandler } from '../observability/instrumentation.interface.js';
import type { HandlerBinding, HandlerBindingInfo } from '../bindings/handler-binding.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { ConsumerRunner, type RunnerHost } from './consumer-runner.js';
import { BatchRunner } from './batch/batch-runner.js';
import { OrderedRunner } from './ordered/ordered-runner.js';
import type { OrderedFailure } from '../delivery/replay.types.js';
import { modeOf, type RunnerKind } from '../delivery/modes.js';

/** What the server drives of a handler's runner, whatever its mode. */
export interface HandlerRunner {
  readonly binding: HandlerBinding;
  readonly info: HandlerBindingInfo;
  /** Handler calls running now (what `close()` waits for). */
  readonly runningHandlers: number;
  start(): Promise<void>;
  close(timeoutMs: number): Promise<void>;
}

/** How each runner the mode table names is made for a handler. */
const RUNNERS: Record<RunnerKind, (binding: HandlerBinding, host: RunnerHost, js: JetStreamClient, jsm: JetStreamManager) => HandlerRunner> = {
  consumer: (binding, host) => new ConsumerRunner(binding, host),
  ordered: (binding, host, js, jsm) => {
    const fromTime = binding.deliverPolicy === 'by_start_time' ? binding.optStartTime : undefined;
    return new OrderedRunner(binding, host, { consumer: () => orderedConsumer(js, jsm, binding), onExhausted: 'stop', fromTime });
  },
};

/** The runner of one handler: the one its mode names (`delivery/modes.ts`). */
export function createRunner(binding: HandlerBinding, host: RunnerHost, js: JetStreamClient, jsm: JetStreamManager): HandlerRunner {
  // A batch handler's mode is one the mode table lets batch (resolveBatch): its messages go through the batch runner.
  if (binding.batch) return new BatchRunner(binding, host);
  return RUNNERS[modeOf(binding).runner](binding, host, js, jsm);
}

/**
 * The client's ordered consumer of a binding, from its start (its deliver policy, or a
 * checkpoint). The client recreates it after a gap from the last sequence it saw, or, before it
 * saw any, from its `opt_start_seq`, else from the first message of the stream: so a start at new
 * messages is turned into the sequence it means now, and a start by time is guarded by the runner.
 */
export async function orderedConsumer(
  js: JetStreamClient,
  jsm: JetStreamManager,
  b: HandlerBinding,
  filter = b.subject,
  start: Pick<HandlerBinding, 'deliverPolicy' | 'optStartSeq' | 'optStartTime'> = b,
): Promise<Consumer> {
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
      throw new JetStreamConfigError(`@JetStreamEvent('${b.subject}'): mode '${b.mode}' cannot start at deliverPolicy '${start.deliverPolicy}'.`);
  }
}

/** What the readiness check reads of a runner: an ordered consumer's name changes each time the client recreates it. */
export function healthConsumerOf(r: HandlerRunner): {
  stream: string;
  durable: string;
  subject: string;
  lag?: HandlerBinding['lag'];
  stoppedAt?: OrderedFailure;
  pin?: PinState;
  connection?: string;
} {
  const b = r.binding;
  const ordered = r instanceof OrderedRunner ? r : undefined;
  const pin = r instanceof ConsumerRunner || r instanceof BatchRunner ? r.pin?.state : undefined;
  const { connection } = b;
  return { stream: b.stream, durable: ordered?.consumerName ?? b.durable, subject: b.subject, lag: b.lag, stoppedAt: ordered?.stoppedAt, pin, connection };
}

/** What metrics and tracing are told of a runner's handler (a singleton's pin included). */
export function instrumentedHandlerOf(r: HandlerRunner): InstrumentedHandler {
  const { subject, stream, durable, connection } = r.binding;
  const pin = r instanceof ConsumerRunner || r instanceof BatchRunner ? r.pin : undefined;
  return { subject, stream, durable, ...(connection !== undefined && { connection }), ...(pin && { pin: () => pin.state }) };
}

/** This instance's consumers whose mode removes them at stop go with it (their inactive threshold removes them after a crash). */
export async function removeInstanceConsumers(jsm: JetStreamManager, runners: HandlerRunner[]): Promise<void> {
  await Promise.all(
    runners.filter((r) => modeOf(r.binding).removedAtStop).map((r) => jsm.consumers.delete(r.binding.stream, r.binding.durable).catch(() => undefined)),
  );
}
