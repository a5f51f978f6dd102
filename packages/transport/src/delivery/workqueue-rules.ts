import type { ConsumerInfo } from '@nats-io/jetstream';
import { ProvisioningError } from '../errors/provisioning.error.js';
import type { DeliverPolicyName } from '../interfaces/jetstream-options.interface.js';
import { durablePrefix, subjectsOverlap } from '../utils/subjects.js';
import { DEFAULT_MODE, modeOf, type DeliveryMode } from './modes.js';

/** What the work-queue rules read of a handler (a `HandlerBinding` is one). */
export interface WorkQueueHandler {
  readonly subject: string;
  readonly stream: string;
  readonly durable: string;
  readonly mode: DeliveryMode;
  readonly deliverPolicy: DeliverPolicyName;
}

/**
 * The server's rules for a `workqueue` stream, checked at boot so the app says what to change
 * instead of the server refusing a consumer with a code: each message goes to one consumer, so
 * consumers may not overlap (one consumer per subject), must start at the beginning
 * (`deliverPolicy 'all'`) and must ack. Instances of one service share a durable and compete for
 * its messages; a mode with a consumer per instance cannot work there.
 */
export function workQueueProblems(bindings: readonly WorkQueueHandler[], isWorkQueue: (stream: string) => boolean): string[] {
  const problems: string[] = [];
  const on = bindings.filter((b) => isWorkQueue(b.stream));
  for (const b of on) {
    const at = `handler "${b.subject}" (stream ${b.stream}, a workqueue stream)`;
    if (modeOf(b).perInstance) {
      problems.push(
        `${at}: mode '${b.mode}' needs a consumer per instance, and a workqueue stream gives each message to one consumer only. Use mode '${DEFAULT_MODE}' (instances compete for the messages) or read the subjects from a stream with retention 'limits' or 'interest'.`,
      );
    }
    if (b.deliverPolicy !== 'all') {
      problems.push(
        `${at}: deliverPolicy '${b.deliverPolicy}' is refused on a workqueue stream, whose consumers must start at the first message: remove deliverPolicy (or set 'all').`,
      );
    }
  }
  for (let i = 0; i < on.length; i++) {
    for (let j = i + 1; j < on.length; j++) {
      const [a, b] = [on[i], on[j]];
      if (a.stream === b.stream && subjectsOverlap(a.subject, b.subject)) {
        problems.push(
          `handlers "${a.subject}" and "${b.subject}" overlap on workqueue stream ${a.stream}: a workqueue stream allows one consumer per subject. Make the handler subjects disjoint, or handle both in one handler.`,
        );
      }
    }
  }
  return problems;
}

/** Consumers already on a workqueue stream (another service's, or an old durable of this one) whose filter overlaps a handler's. */
export function foreignConsumerProblems(b: WorkQueueHandler, consumers: ConsumerInfo[], serviceName?: string): string[] {
  const problems: string[] = [];
  for (const c of consumers) {
    if (c.name === b.durable) continue;
    const filters = c.config.filter_subjects ?? (c.config.filter_subject ? [c.config.filter_subject] : ['>']);
    const clash = filters.find((f) => subjectsOverlap(f, b.subject));
    if (clash) {
      // This service's own durable (a handler renamed or removed) that pruneConsumers did not remove: a client still pulls from it, or pruning is off.
      const own = serviceName !== undefined && c.name.startsWith(durablePrefix(serviceName));
      const prune = own ? ', or set pruneConsumers: true to have this service remove its own left-behind consumers at boot once no client pulls from them' : '';
      problems.push(
        `handler "${b.subject}" overlaps consumer ${b.stream}/${c.name} (filter "${clash}") on workqueue stream ${b.stream}: a workqueue stream allows one consumer per subject. Delete that consumer if it is left over (nats consumer rm ${b.stream} ${c.name})${prune}, or make the subjects disjoint.`,
      );
    }
  }
  return problems;
}

export function workQueueError(problems: string[]): ProvisioningError {
  return new ProvisioningError(`The handlers break the rules of a workqueue stream:\n- ${problems.join('\n- ')}`);
}
