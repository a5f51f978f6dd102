// The fault suite's leak check: what a consumer process holds once garbage is collected (heap,
// RSS) and the resources keeping its event loop busy (timers, sockets, pending requests), taken
// by the consumer app on GET /debug/memory, and the comparison of two of them (before the hostile
// input and after it settled).

export interface MemorySnapshot {
  /** process.memoryUsage() after two full collections (global.gc, node --expose-gc), in bytes. */
  heapUsed: number;
  heapTotal: number;
  rss: number;
  external: number;
  arrayBuffers: number;
  /** process.getActiveResourcesInfo() counted by type (Timeout, TCPSocketWrap, FSReqCallback...). */
  resources: Record<string, number>;
  /** Whether a collection ran first (false: node was started without --expose-gc, the heap figures mean little). */
  collected: boolean;
}

/** Collects garbage twice (the second pass frees what finalizers of the first released) and measures. */
export function takeMemorySnapshot(): MemorySnapshot {
  const gc = globalThis.gc;
  gc?.();
  gc?.();
  const { heapUsed, heapTotal, rss, external, arrayBuffers } = process.memoryUsage();
  const resources: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) resources[type] = (resources[type] ?? 0) + 1;
  return { heapUsed, heapTotal, rss, external, arrayBuffers, resources, collected: gc !== undefined };
}

/** Resource types whose count is above `before`'s plus `allowance`, as "Timeout 3 → 250". */
export function resourcesAbove(before: MemorySnapshot, after: MemorySnapshot, allowance: number): string[] {
  return Object.entries(after.resources)
    .filter(([type, n]) => n > (before.resources[type] ?? 0) + allowance)
    .map(([type, n]) => `${type} ${before.resources[type] ?? 0} → ${n}`);
}

/** "Timeout 2, TCPSocketWrap 3": a snapshot's resources, for a report. */
export const describeResources = (s: MemorySnapshot): string =>
  Object.entries(s.resources)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, n]) => `${type} ${n}`)
    .join(', ');

export const mb = (bytes: number): number => bytes / 2 ** 20;
