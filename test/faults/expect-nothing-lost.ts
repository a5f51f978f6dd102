import type { FaultReport } from './workload/workload';

/** What every fault scenario guarantees: nothing acknowledged lost, something acknowledged, no hot loop. */
export function expectNothingLost(r: FaultReport, maxDeliver = 3): void {
  expect({ scenario: r.scenario, ackedLost: r.ackedLost }).toEqual({ scenario: r.scenario, ackedLost: 0 });
  expect(r.acked).toBeGreaterThan(0);
  // No hot loop: the library counts attempts by the server's delivery count and runs a handler at
  // most maxDeliver times for one message, whatever redelivers it (a crash, a lost ack).
  expect(r.maxCalls).toBeLessThanOrEqual(maxDeliver);
}
