import type { StandardSchemaIssue } from './standard-schema.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { JetStreamTermError } from '../errors/handler.errors.js';

/** The most issues a message names: a payload wrong everywhere must not make a dead-letter header of kilobytes. */
const MAX_ISSUES_NAMED = 10;

/** `path: message; path: message`, the way a `ValidationPipe` rejection lists the failing fields. */
export function describeIssues(issues: readonly StandardSchemaIssue[]): string {
  const named = issues.slice(0, MAX_ISSUES_NAMED).map((issue) => {
    const path = (issue.path ?? []).map((p) => String(typeof p === 'object' && p !== null ? p.key : p)).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const more = issues.length > MAX_ISSUES_NAMED ? `; and ${issues.length - MAX_ISSUES_NAMED} more` : '';
  return named.join('; ') + more;
}

/**
 * A received payload does not match its handler's `schema`: the handler did not run, and the
 * message is not redelivered (dead-lettered where the handler has a dead-letter route, else
 * terminated), like a `ValidationPipe` rejection. `issues` are the failing fields.
 */
export class PayloadValidationError extends JetStreamTermError {
  constructor(
    readonly subject: string,
    /** The handler (`@JetStreamEvent('subject') on Class.method`) or the publish it was checked for. */
    readonly at: string,
    readonly issues: readonly StandardSchemaIssue[],
  ) {
    super(`Payload on "${subject}" does not match the schema of ${at}: ${describeIssues(issues)}. Fix the publisher, or the schema if the payload is right.`);
    this.name = 'PayloadValidationError';
  }
}

/** `publish()` of a payload that does not match the schema declared for its subject (`contract.publishes`, `validate: true`): nothing was sent. */
export class PublishValidationError extends JetStreamConfigError {
  constructor(
    readonly subject: string,
    readonly issues: readonly StandardSchemaIssue[],
  ) {
    super(
      `publish("${subject}") refused: the payload does not match the schema declared for "${subject}" in contract.publishes: ${describeIssues(issues)}. Nothing was sent; fix the payload, or the schema.`,
    );
    this.name = 'PublishValidationError';
  }
}
