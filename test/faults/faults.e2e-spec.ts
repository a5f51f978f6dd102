// The fault suite, short: each scenario of `npm run faults` at a small size, asserting the
// guarantees (nothing acknowledged lost, every message handled or dead-lettered, no hot loop),
// never a count or a timing the server decides. The figures: docs/reliability.md. Crashes and
// cluster faults are in faults-crash and faults-cluster, so that jest runs them beside these.
import { fuzz } from './scenarios/fuzz';
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
    // Bounded by concurrency + prefetch (24) in the library; the server's count also holds acks in flight.
    expect(f.maxAckPending).toBeLessThanOrEqual(100);
  }, 200_000);

  it('fuzzed payloads, headers, subjects and options: every message handled or dead-lettered with a reason, every refusal typed', async () => {
    const f = await fuzz(short('newest'));
    expect({ publishes: f.refusedUntyped, options: f.optionsUntyped }).toEqual({ publishes: [], options: [] });
    expect(f.published).toBeGreaterThan(0);
    expect({ lost: f.lost, deadWithoutReason: f.deadWithoutReason }).toEqual({ lost: 0, deadWithoutReason: 0 });
    expect(f.maxCalls).toBeLessThanOrEqual(3);
  }, 200_000);
});
