// The fault suite, short: each scenario of `npm run faults` at a small size, asserting the
// guarantees (nothing acknowledged lost, every message handled or dead-lettered, no hot loop),
// never a count or a timing the server decides. The figures: docs/reliability.md.
import { clusterFault, CLUSTER_FAULTS } from './scenarios/cluster';
import { fuzz } from './scenarios/fuzz';
import { hostile } from './scenarios/hostile';
import { partition } from './scenarios/partition';
import { consumerCrash, deadLetterOutage, gracefulShutdown, serverCrash } from './scenarios/single-server';
import { SIZES, type RunOptions } from './scenarios/sizes';
import { slowConsumer } from './scenarios/slow-consumer';
import type { FaultReport } from './workload/workload';

const short = (version: RunOptions['version']): RunOptions => ({ size: SIZES.short, version });

/** What every scenario guarantees. */
function expectNothingLost(r: FaultReport, maxDeliver = 3): void {
  expect({ scenario: r.scenario, ackedLost: r.ackedLost }).toEqual({ scenario: r.scenario, ackedLost: 0 });
  expect(r.acked).toBeGreaterThan(0);
  // No hot loop: the library counts attempts by the server's delivery count and runs a handler at
  // most maxDeliver times for one message, whatever redelivers it (a crash, a lost ack).
  expect(r.maxCalls).toBeLessThanOrEqual(maxDeliver);
}

describe('fault suite, short (real nats-servers, consumer processes)', () => {
  for (const version of ['newest', 'oldest'] as const) {
    it(`${version}: a consumer SIGKILLed mid-drain loses nothing acknowledged`, async () => {
      expectNothingLost(await consumerCrash(short(version)));
    }, 150_000);

    it(`${version}: a nats-server SIGKILLed under load loses nothing acknowledged`, async () => {
      expectNothingLost(await serverCrash(short(version)));
    }, 150_000);
  }

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
    // Bounded by concurrency + prefetch (24) in the library; the server's count also holds acks in flight.
    expect(f.maxAckPending).toBeLessThanOrEqual(100);
  }, 200_000);

  it('an R3 stream leader SIGKILLed on a 3-node cluster loses nothing acknowledged', async () => {
    expectNothingLost(await clusterFault(short('newest'), CLUSTER_FAULTS[0]));
  }, 200_000);

  it('a partition isolating the R3 stream leader (network namespaces), then healed, loses nothing acknowledged', async () => {
    const r = await partition(short('newest'));
    expectNothingLost(r);
    expect(r.notes).toMatch(/^the majority side had a new stream leader \(p\d\)/);
  }, 300_000);

  it('fuzzed payloads, headers, subjects and options: every message handled or dead-lettered with a reason, every refusal typed', async () => {
    const f = await fuzz(short('newest'));
    expect({ publishes: f.refusedUntyped, options: f.optionsUntyped }).toEqual({ publishes: [], options: [] });
    expect(f.published).toBeGreaterThan(0);
    expect({ lost: f.lost, deadWithoutReason: f.deadWithoutReason }).toEqual({ lost: 0, deadWithoutReason: 0 });
    expect(f.maxCalls).toBeLessThanOrEqual(3);
    // No input can hurt the process: no control character in a subject or header got through, hostile
    // payloads reached the handler as published (or were dead-lettered with their decode error), none lost.
    expect({ acceptedHostile: f.acceptedHostile, wrongData: f.hostileWrongData, prototypeIntact: f.prototypeIntact }).toEqual({ acceptedHostile: [], wrongData: [], prototypeIntact: true });
    expect(f.refusedSubject + f.refusedHeader).toBeGreaterThan(0);
    for (const [kind, c] of Object.entries(f.hostile)) {
      expect({ kind, lost: c.lost }).toEqual({ kind, lost: 0 });
      expect(c.handled + c.deadLettered).toBe(c.tried);
    }
  }, 200_000);

  it('hostile input at once (near max_payload, undecodable, a flood for a slow handler): bounded memory, liveness served, no crash, nothing lost', async () => {
    const f = await hostile(short('newest'));
    expectNothingLost(f.report);
    expect({ survived: f.survived, probeFailures: f.probeFailures, deadWithoutReason: f.deadWithoutReason }).toEqual({ survived: true, probeFailures: [], deadWithoutReason: 0 });
    expect(f.probesUp).toBeGreaterThan(0);
    expect(f.report.deadLetters).toBe(f.decodeFailures);
    // What the process holds is bounded by concurrency + prefetch, not by the backlog: its memory grows by far less than the input (over 30 MB here).
    expect(f.rssMaxMb - f.rssStartMb).toBeLessThan(400);
  }, 300_000);
});
