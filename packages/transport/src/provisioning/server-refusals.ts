import { JetStreamApiError } from '@nats-io/jetstream';
import { errors } from '@nats-io/nats-core';
import { causeOf } from '../errors/error-causes.js';
import { ProvisioningError, type ProvisioningDifference } from '../errors/provisioning.error.js';

/** A server refusal while provisioning, with its words and, for a permission violation, what to do. */
export function provisioningServerError(action: string, err: unknown, differences: ProvisioningDifference[] = []): ProvisioningError {
  const why = err instanceof Error ? err.message : String(err);
  const denied = causeOf(err, errors.PermissionViolationError);
  const hint = denied
    ? ` This identity may not ${denied.operation} "${denied.subject}": it may not change JetStream config. Use provisioning "verify" (or "off") and create the streams and consumers with a privileged identity, or allow that subject to this identity.`
    : '';
  return new ProvisioningError(`Could not ${action}: the server said "${why}".${hint}`, differences, { cause: err });
}

/** Whether `err` is the server's JetStream API error `code`. */
export function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}
