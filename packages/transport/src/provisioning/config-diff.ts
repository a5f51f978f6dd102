import type { ProvisioningDifference } from '../errors/provisioning.error.js';
import { TOPOLOGY_FIELDS, sameTopology } from './topology-diff.js';

/** Stream fields the server cannot change in place. */
export const STREAM_IMMUTABLE = new Set(['name', 'storage', 'retention', 'mirror']);
/** Consumer fields the server cannot change in place (2.9; 2.10 can change `filter_subject`). */
export const CONSUMER_IMMUTABLE = new Set(['durable_name', 'ack_policy', 'deliver_policy', 'opt_start_seq', 'opt_start_time', 'deliver_subject']);
/**
 * Where a new consumer starts: meaningless for one that exists (a consumer put back after a
 * deletion starts where the app left off), so never compared.
 */
export const CONSUMER_START_FIELDS = new Set(['deliver_policy', 'opt_start_seq', 'opt_start_time']);
/** The server adds or reorders these; compare them as sets. */
const SET_FIELDS = new Set(['subjects']);

function same(field: string, expected: unknown, actual: unknown): boolean {
  if (TOPOLOGY_FIELDS.has(field)) return sameTopology(field, expected, actual);
  if (SET_FIELDS.has(field) && Array.isArray(expected) && Array.isArray(actual)) {
    return expected.length === actual.length && expected.every((e) => actual.includes(e));
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    return expected.length === actual.length && expected.every((e, i) => same(field, e, actual[i]));
  }
  if (expected instanceof Date || actual instanceof Date || field === 'opt_start_time') {
    return expected !== undefined && actual !== undefined && new Date(String(expected)).getTime() === new Date(String(actual)).getTime();
  }
  if (typeof expected === 'object' && expected !== null && typeof actual === 'object' && actual !== null) {
    return JSON.stringify(expected) === JSON.stringify(actual);
  }
  return expected === actual;
}

/** Fields of `expected` that `actual` (the server's config) does not match. Pure. */
export function diffConfig(
  kind: ProvisioningDifference['kind'],
  name: string,
  expected: Record<string, unknown>,
  actual: Record<string, unknown>,
  immutable: Set<string>,
): ProvisioningDifference[] {
  const out: ProvisioningDifference[] = [];
  // A pull consumer cannot become a push one, nor the reverse: a handler's mode changed.
  if (kind === 'consumer' && expected.deliver_subject === undefined && typeof actual.deliver_subject === 'string') {
    out.push({ kind, name, field: 'deliver_subject', expected: undefined, actual: actual.deliver_subject, updatable: false });
  }
  for (const [field, value] of Object.entries(expected)) {
    if (value === undefined || (kind === 'consumer' && CONSUMER_START_FIELDS.has(field))) continue;
    if (!same(field, value, actual[field])) {
      out.push({ kind, name, field, expected: value, actual: actual[field], updatable: !immutable.has(field) });
    }
  }
  return out;
}
