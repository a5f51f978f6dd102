import type { ConsumerConfig } from '@nats-io/jetstream';
import { assertConsumerFeature } from '../delivery/consumer-features.js';
import { modeOf, type DeliveryMode } from '../delivery/modes.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { PriorityBinding, PriorityHandlerOptions } from '../interfaces/priority-options.interface.js';
import { millisToNanos, toMillis } from '../utils/duration.js';

/** The one priority group of a handler's consumer (a group name is at most 16 characters). */
export const PRIORITY_GROUP = 'handlers';
/** `singleton.takeoverAfter` when unset. */
export const DEFAULT_TAKEOVER_AFTER = '30s';
/** The shortest `takeoverAfter`: twice the puller's pull expiry, so a live pinned instance always pulls again in time. */
export const MIN_TAKEOVER_AFTER_MS = 10_000;

/** `singleton` / `overflow` of one handler, checked; every error names the handler and the option. Pure. */
export function resolvePriority(at: string, options: PriorityHandlerOptions, mode: DeliveryMode): PriorityBinding | undefined {
  const { singleton, overflow } = options;
  const option = singleton !== undefined && singleton !== false ? 'singleton' : overflow !== undefined ? 'overflow' : undefined;
  if (option === undefined) return undefined;
  if (singleton !== undefined && singleton !== false && overflow !== undefined) {
    throw new JetStreamConfigError(`${at}: singleton and overflow are two priority policies of one consumer; choose one.`);
  }
  const refused = modeOf({ mode }).priorityGroupsRefused;
  if (refused) throw new JetStreamConfigError(`${at}: ${option} needs mode 'shared'; mode '${mode}' ${refused}`);
  if (singleton !== undefined && singleton !== false) {
    if (singleton !== true && (singleton === null || typeof singleton !== 'object')) {
      throw new JetStreamConfigError(`${at}: singleton must be true or { takeoverAfter }; got ${String(singleton)}.`);
    }
    const takeoverAfterMs = toMillis((singleton === true ? undefined : singleton.takeoverAfter) ?? DEFAULT_TAKEOVER_AFTER, `${at}: singleton.takeoverAfter`);
    if (takeoverAfterMs < MIN_TAKEOVER_AFTER_MS) {
      throw new JetStreamConfigError(
        `${at}: singleton.takeoverAfter is ${takeoverAfterMs} ms; use at least '10s': the pinned instance pulls again every 5 s, and a shorter timeout would move the pin away from a live instance.`,
      );
    }
    return { policy: 'pinned_client', group: PRIORITY_GROUP, takeoverAfterMs };
  }
  const { minPending, minAckPending, standby = false } = overflow!;
  if (minPending === undefined && minAckPending === undefined) {
    throw new JetStreamConfigError(
      `${at}: overflow needs a threshold: minPending (messages waiting) and/or minAckPending (messages being handled), e.g. overflow: { minPending: 1000, standby: true }.`,
    );
  }
  return { policy: 'overflow', group: PRIORITY_GROUP, minPending, minAckPending, standby };
}

/** The consumer config fields of a handler's priority group (none without one). */
export function priorityConsumerFields(b: { readonly priority?: PriorityBinding }): Partial<ConsumerConfig> {
  const p = b.priority;
  if (!p) return {};
  return {
    priority_groups: [p.group],
    priority_policy: p.policy,
    ...(p.policy === 'pinned_client' && { priority_timeout: millisToNanos(p.takeoverAfterMs) }),
  };
}

/** What this instance's pulls carry: the group, and a standby's thresholds. */
export function pullPriority(b: { readonly priority?: PriorityBinding }): { group: string; min_pending?: number; min_ack_pending?: number } | undefined {
  const p = b.priority;
  if (!p) return undefined;
  if (p.policy === 'pinned_client' || !p.standby) return { group: p.group };
  return {
    group: p.group,
    ...(p.minPending !== undefined && { min_pending: p.minPending }),
    ...(p.minAckPending !== undefined && { min_ack_pending: p.minAckPending }),
  };
}

/** At boot, before anything is provisioned: a handler with a priority group on a server older than 2.11 is an error naming the version. */
export function assertPrioritySupported(bindings: readonly { readonly subject: string; readonly priority?: PriorityBinding }[], serverVersion: string): void {
  for (const b of bindings) {
    if (!b.priority) continue;
    const feature = b.priority.policy === 'pinned_client' ? 'singleton' : 'overflow';
    assertConsumerFeature(feature, serverVersion, `Handler "${b.subject}" (${feature})`);
  }
}
