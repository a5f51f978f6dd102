import { LIMITS } from '../constants.js';
import { describeValue } from './describe-value.js';
import { JetStreamConfigError } from './jetstream-transport.error.js';

/** Received or caller-given text as a message quotes it: JSON-escaped (no raw CR/LF or escape codes reach a log) and cut. */
const quote = (text: string): string => describeValue(text, LIMITS.maxQuoted);

/** Where a refused subject was given. */
export type SubjectUse = 'publish' | 'handler';

/**
 * A subject NATS cannot take where it was given: empty, an empty token, white space or a control
 * character, a wildcard in a publish, or too long. Nothing was sent (or bound). `subject` is the
 * subject as given.
 */
export class InvalidSubjectError extends JetStreamConfigError {
  constructor(
    readonly subject: string,
    readonly problem: string,
    readonly use: SubjectUse,
    /** For a handler: its `Class.method`, named like in every other handler error. */
    owner?: string,
  ) {
    super(
      use === 'publish'
        ? `Cannot publish to ${quote(subject)}: ${problem}. Publish to a concrete subject such as "orders.created"; nothing was sent.`
        : `@JetStreamEvent(${quote(subject)})${owner ? ` on ${owner}` : ''}: the subject is invalid: ${problem}. Use tokens of printable characters separated by single dots, "*" or ">" for wildcards, such as "orders.*.created".`,
    );
    this.name = 'InvalidSubjectError';
  }
}

/**
 * A header name or value a publish cannot carry: a name with a space, ":" or a character outside
 * printable ASCII, a value with CR, LF or another control character (header injection). Nothing
 * was sent. `header` is the name as given.
 */
export class InvalidHeaderError extends JetStreamConfigError {
  constructor(
    readonly header: string,
    readonly subject: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Header ${quote(header)} for ${quote(subject)} is invalid: ${problem}. Header names are printable ASCII without ":" or spaces; values have no CR, LF or other control characters (a tab is fine). Nothing was sent.`,
      options,
    );
    this.name = 'InvalidHeaderError';
  }
}
