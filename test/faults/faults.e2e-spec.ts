// The fault suite, short: each scenario of `npm run faults` at a small size, asserting the
// guarantees (nothing acknowledged lost, every message handled or dead-lettered, no hot loop),
// never a count or a timing the server decides. The figures: docs/reliability.md. Crashes and
// cluster faults are in faults-crash and faults-cluster, so that jest runs them beside these.
import { fuzz } from './scenarios/fuzz';
import { RETAINED_GROWTH_BOUND_MB, hostile, RESOURCE_ALLOWANCE } from './scenarios/hostile';
import { deadLetterOutage, gracefulShutdown } from './scenarios/single-server';
import { SIZES, type RunOptions } from './scenarios/sizes';
import { slowConsumer } from './scenarios/slow-consumer';
import { expectNothingLost } from './expect-nothing-lost';

const short = (version: RunOptions['version']): RunOptions => ({ size: SIZES.short, version });

describe('fault suite, short (real nats-servers, consumer processes)', () => {
  it('a consumer SIGTERMed under load exits gracefully, and its successor handles the rest', async () => {
    const r = await gracefulShutdown(short('newest'));
    expectNothingLost(r);
    expect(r.notes).toMatch(/^exited after closing/);
  }, 150_000);

  it('dead letters wait while the dead-letter stream is gone, and all arrive once it is back', async () => {
    const r = await deadLetterOutage(short('newest'));
    expectNothingLost(r);
    expect(r.deadLetters).toBe(SIZES.short.poison);
  }, 150_000);

  it('a slow consumer with a backlog holds a bounded number of messages, not the backlog', async () => {
    const f = await slowConsumer(short('newest'));
    expectNothingLost(f.report);
    expect(f.report.handled).toBe(SIZES.short.backlog);
    // Bounded by concurrency + the prefetch window's cap (maxAckPending − concurrency), not the backlog.
    expect(f.maxAckPending).toBeLessThanOrEqual(f.bound);
    expect(f.maxAckPending).toBeLessThan(SIZES.short.backlog);
  }, 200_000);

  it('fuzzed payloads, headers, subjects and options: every message handled or dead-lettered with a reason, every refusal typed', async () => {
    const f = await fuzz(short('newest'));
    expect({ publishes: f.refusedUntyped, options: f.optionsUntyped }).toEqual({ publishes: [], options: [] });
    expect(f.published).toBeGreaterThan(0);
    expect({ lost: f.lost, deadWithoutReason: f.deadWithoutReason }).toEqual({ lost: 0, deadWithoutReason: 0 });
    expect(f.maxCalls).toBeLessThanOrEqual(3);
    // No input can hurt the process: no control character in a subject or header got through, hostile
    // payloads reached the handler as published (or were dead-lettered with their decode error), none lost.
    expect({ acceptedHostile: f.acceptedHostile, wrongData: f.hostileWrongData, prototypeIntact: f.prototypeIntact }).toEqual({
      acceptedHostile: [],
      wrongData: [],
      prototypeIntact: true,
    });
    expect(f.refusedSubject + f.refusedHeader).toBeGreaterThan(0);
    for (const [kind, c] of Object.entries(f.hostile)) {
      expect({ kind, lost: c.lost }).toEqual({ kind, lost: 0 });
      expect(c.handled + c.deadLettered).toBe(c.tried);
    }
  }, 200_000);

  it('hostile input at once (near max_payload, undecodable, a flood for a slow handler): bounded memory, liveness served, no crash, nothing lost, nothing leaked', async () => {
    const f = await hostile(short('newest'));
    expectNothingLost(f.report);
    expect({ survived: f.survived, deadWithoutReason: f.deadWithoutReason }).toEqual({ survived: true, deadWithoutReason: 0 });
    // Served throughout as a liveness probe sees it: never 3 failures in a row (Kubernetes' failureThreshold),
    // so a loaded CI machine missing one 10 s probe is not a failure, a process that stops serving is.
    expect({ maxFailedInARow: f.maxFailedInARow < 3, failures: f.probeFailures.slice(0, 3) }).toEqual({ maxFailedInARow: true, failures: expect.any(Array) });
    expect(f.probesUp).toBeGreaterThan(0);
    expect(f.report.deadLetters).toBe(f.decodeFailures + f.warmUp.decodeFailures);
    // What the process holds is bounded by concurrency + prefetch, not by the backlog: its memory grows by far less than the input (over 30 MB here).
    expect(f.rssMaxMb - f.rssStartMb).toBeLessThan(400);
    // Nothing leaks: after GC the heap and buffers are back within a fixed bound of the warm-up's (not
    // one that grows with the input), and timers, sockets and requests are back to the warm-up's
    // counts (RESOURCE_ALLOWANCE each, for a timer the NATS client re-arms): a leak per message is thousands.
    const retained = { heapMb: f.heapGrowthMb, externalMb: f.externalGrowthMb };
    expect({ ...retained, below: f.retainedGrowthMb < RETAINED_GROWTH_BOUND_MB }).toEqual({ ...retained, below: true });
    expect({ resourcesLeaked: f.resourcesLeaked, allowance: RESOURCE_ALLOWANCE }).toEqual({ resourcesLeaked: [], allowance: RESOURCE_ALLOWANCE });
  }, 300_000);
});
