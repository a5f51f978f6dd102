import { subjectMatches } from '../utils/subjects.js';
import { PublishValidationError } from './payload-validation.error.js';
import { payloadCheck, type PayloadCheck } from './payload-validation.js';
import type { PayloadSchema, StandardSchemaIssue, StandardSchemaResult } from './standard-schema.js';

/** What the check reads of the module's `contract` option (interfaces/contract-options.interface.ts, which imports this folder). */
export interface PublishContracts {
  publishes?: readonly { subject: string; schema?: PayloadSchema; validate?: boolean }[];
}

/** Checks one payload before it is published: throws (or rejects) a `PublishValidationError`, nothing sent. */
export type PublishCheck = (subject: string, data: unknown) => void | Promise<void>;

/**
 * The client's check of what it publishes: the declared publishes with `validate: true` and a
 * schema, matched by subject (wildcards as the server matches them; the first match decides).
 * Undefined when none asks for it: publishing then pays nothing.
 */
export function publishCheckOf(contract: PublishContracts | undefined): PublishCheck | undefined {
  const checked: { subject: string; check: PayloadCheck }[] = [];
  for (const p of contract?.publishes ?? [])
    if (p.validate === true && p.schema !== undefined) checked.push({ subject: p.subject, check: payloadCheck(p.schema) });
  if (checked.length === 0) return undefined;
  return (subject, data) => {
    const entry = checked.find((c) => subjectMatches(c.subject, subject));
    if (!entry) return undefined;
    const settle = (result: StandardSchemaResult<unknown>): void => {
      if (result.issues) throw new PublishValidationError(subject, result.issues as readonly StandardSchemaIssue[]);
    };
    const result = entry.check(data);
    return result instanceof Promise ? result.then(settle) : settle(result);
  };
}
