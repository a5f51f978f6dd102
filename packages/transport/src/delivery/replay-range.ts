import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { describeValue } from '../errors/describe-value.js';
import type { DeliverPolicyName } from '../interfaces/jetstream-options.interface.js';
import { subjectMatches, subjectProblem } from '../utils/subjects.js';
import type { ReplayOptions } from './replay.types.js';

/** A replay's range, checked: where its ordered consumer starts, what it reads, and where it stops (undefined: the end of the stream now). */
export interface ReplayRange {
  start: { deliverPolicy: Extract<DeliverPolicyName, 'by_start_time' | 'by_start_sequence'>; optStartSeq?: number; optStartTime?: Date };
  filter: string;
  to?: number | Date;
  /** The start time, which the ordered runner guards (the client may restart before it). */
  fromTime?: Date;
}

/** The handler of `subject` among `handlers`, or an error naming the handlers there are. */
export function replayedHandler<H extends { readonly subject: string }>(handlers: readonly H[], subject: string): H {
  const handler = handlers.find((b) => b.subject === subject);
  if (!handler) {
    throw new JetStreamConfigError(
      `JetStreamServer.replay(): no handler is bound to "${subject}"; the handlers are ${handlers.map((b) => `"${b.subject}"`).join(', ') || 'none'}.`,
    );
  }
  return handler;
}

/** `options` of a replay through the handler of `subject`, checked: each error names the option and what it takes. Pure. */
export function replayRange(subject: string, options: ReplayOptions): ReplayRange {
  const at = `replay("${subject}")`;
  const { from, to, filter = subject } = options;
  const badFilter = typeof filter === 'string' ? subjectProblem(filter) : 'it is not a string';
  if (badFilter || !subjectMatches(subject, filter)) {
    throw new JetStreamConfigError(
      `${at}: filter ${describeValue(filter)} ${badFilter ? `is invalid: ${badFilter}` : `is not covered by the handler's subject "${subject}"`}; replay subjects the handler itself takes.`,
    );
  }
  if (!(from instanceof Date ? !Number.isNaN(from.getTime()) : Number.isInteger(from) && from >= 1)) {
    throw new JetStreamConfigError(`${at}: from must be a stream sequence ≥ 1 or a Date; got ${describeValue(from)}.`);
  }
  if (to !== undefined && !(to instanceof Date ? !Number.isNaN(to.getTime()) : Number.isInteger(to) && to >= 1)) {
    throw new JetStreamConfigError(`${at}: to must be a stream sequence ≥ 1 or a Date; got ${describeValue(to)}.`);
  }
  const start =
    from instanceof Date ? { deliverPolicy: 'by_start_time' as const, optStartTime: from } : { deliverPolicy: 'by_start_sequence' as const, optStartSeq: from };
  return { start, filter, to, fromTime: from instanceof Date ? from : undefined };
}
