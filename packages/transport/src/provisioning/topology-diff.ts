import type { Placement, StreamSource } from '@nats-io/jetstream';
import { fromServerPlacement, fromServerSource } from '../config/stream-topology.js';

/** Stream fields compared in the app's terms: the server fills in defaults and reorders them. */
export const TOPOLOGY_FIELDS = new Set(['placement', 'mirror', 'sources']);

/** Placement, a mirror and sources as the app declares them (`domain`, camelCase), for messages. */
export const TOPOLOGY_TERMS = {
  placement: { option: 'placement', showObject: (v: unknown) => JSON.stringify(fromServerPlacement(v as Partial<Placement>)) },
  mirror: { option: 'mirror', showObject: (v: unknown) => JSON.stringify(fromServerSource(v as StreamSource)) },
  sources: { option: 'sources', showObject: (v: unknown) => JSON.stringify((v as StreamSource[]).map(fromServerSource)) },
};

/**
 * Whether the server's placement, mirror or sources are what the app declares: compared in the
 * app's terms, so the server's defaults (an empty filter, `deliver: ''`, sequence 0) and its order
 * of sources and tags do not count as differences. Pure.
 */
export function sameTopology(field: string, expected: unknown, actual: unknown): boolean {
  if (expected === undefined || actual === undefined || expected === null || actual === null) return expected === actual;
  if (field === 'placement') return canonical(fromServerPlacement(expected as Placement)) === canonical(fromServerPlacement(actual as Placement));
  if (field === 'mirror') return canonical(fromServerSource(expected as StreamSource)) === canonical(fromServerSource(actual as StreamSource));
  if (!Array.isArray(expected) || !Array.isArray(actual) || expected.length !== actual.length) return false;
  const all = (list: StreamSource[]) => list.map((s) => canonical(fromServerSource(s))).sort();
  const [a, b] = [all(expected as StreamSource[]), all(actual as StreamSource[])];
  return a.every((x, i) => x === b[i]);
}

/** JSON with sorted keys and sorted string lists (tags), so equal values compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return [...(v as string[])].sort();
    if (v && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y)));
    return v;
  });
}
