import { ELECTION_SLACK_MS, formatPauseSummary, summarizePauses } from './pause-summary';
import type { FaultReport } from './workload/workload';
import { longestWait, longestWaitingPause } from './workload/waits';

// The fault report's summary, from rows made by hand (no server): each fault is judged against its own election.

const row = (scenario: string, recoverMs: number, electionMs?: number, publishPauseMs = 1_000, waitMs?: number): FaultReport => ({
  scenario,
  server: '2.15.1',
  published: 10,
  acked: 10,
  ackedLost: 0,
  handled: 10,
  handledMoreThanOnce: 0,
  maxCalls: 1,
  deadLetters: 0,
  publishErrors: 0,
  recoverMs,
  waitMs,
  publishPauseMs,
  electionMs,
});

describe('the pause summary of npm run faults', () => {
  const rows = [
    row('kill', 6_000, 4_000),
    row('kill', 9_000, 5_000),
    row('slow', 7_500, 2_000),
    row('slow', 1_000, 0),
    row('partition', 12_000, 6_000, 9_000),
    row('no election measured', 20_000),
  ];

  it('gives per scenario the worst and mean election and pause minus election, and counts the faults over their election plus 3 s', () => {
    const [kill, slow, partition, unmeasured] = summarizePauses(rows, 8_000);
    expect(kill).toMatchObject({
      faults: 2,
      worstMs: 9_000,
      electionWorstMs: 5_000,
      electionMeanMs: 4_500,
      beyondWorstMs: 4_000,
      beyondMeanMs: 3_000,
      overElection: 1,
    });
    expect(kill.exceeds).toBe(true);
    // Over its own election + 3 s in one fault, though within the fixed 8 s in both.
    expect(slow).toMatchObject({ beyondWorstMs: 5_500, overElection: 1, exceeds: false });
    expect(partition).toMatchObject({ beyondWorstMs: 6_000, overElection: 1, exceeds: true });
    expect(unmeasured).toMatchObject({ electionWorstMs: undefined, beyondWorstMs: undefined, overElection: 0 });
    expect(ELECTION_SLACK_MS).toBe(3_000);
  });

  it('names the scenarios over their election + 3 s, and those over the fixed bound, in a table and two lines', () => {
    const lines = formatPauseSummary(summarizePauses([row('fast', 4_000, 2_000), row('late', 9_000, 3_000)], 8_000), 8_000);
    expect(lines[0]).toContain('| election: worst | mean | waited − election: worst | mean | over election + 3.0 s |');
    expect(lines.find((l) => l.startsWith('| fast'))).toContain('| within |');
    expect(lines.find((l) => l.startsWith('| late'))).toContain('| EXCEEDS (1 of 1) |');
    expect(lines).toContain('Over their election + 3.0 s in at least one fault: late');
    expect(lines).toContain('Over the fixed bound of 8.0 s: late');
  });

  it("judges the consumer's share of a pause (a stored message waited) where measured: a pause with nothing stored is the publishers'", () => {
    // 4.4 s without a handler call, of which a stored message waited 0.6 s (PubAcks paused 7.3 s): within 0.1 s + 3 s.
    const [starved, stalled] = summarizePauses([row('starved', 4_400, 100, 7_300, 600), row('stalled', 4_400, 100, 7_300, 4_400)], 8_000);
    expect(starved).toMatchObject({ worstMs: 4_400, waitWorstMs: 600, beyondWorstMs: 500, overElection: 0 });
    expect(stalled).toMatchObject({ waitWorstMs: 4_400, beyondWorstMs: 4_300, overElection: 1 });
  });

  it("measures the consumer's share: the time a stored message waited while no handler ran, from the fault on", () => {
    // Calls at 0, 100; a pause to 5,000 whose message was stored at 4,400 (nothing stored to handle before): 0.6 s.
    const starved = [
      { at: [0], storedAt: 0 },
      { at: [100], storedAt: 90 },
      { at: [5_000], storedAt: 4_400 },
    ];
    expect(longestWait(0, starved)).toBe(600);
    // The same pause with a message stored at 200 and first handled at 5,000: it waited 4.8 s of the 4.9 s.
    expect(longestWait(0, [...starved, { at: [5_000], storedAt: 200 }])).toBe(4_800);
    // A redelivery (a second call) is not a wait; a message handled before the pause does not count in it.
    expect(
      longestWait(0, [
        { at: [0, 3_000], storedAt: 0 },
        { at: [3_000], storedAt: 2_900 },
      ]),
    ).toBe(100);
    // From the fault at 1,000: the pause from the fault to the first call after it, stored before the fault.
    expect(
      longestWait(1_000, [
        { at: [0], storedAt: 0 },
        { at: [2_500], storedAt: 500 },
      ]),
    ).toBe(1_500);
    expect(longestWait(1_000, [{ at: [0], storedAt: 0 }])).toBeUndefined();
    // Where that pause ended: the report times the elections up to it (plus the slack), not up to a longer idle pause.
    expect(longestWaitingPause(0, [...starved, { at: [9_000], storedAt: 9_000 }])).toEqual({ to: 5_000, waitMs: 600, endedByRedelivery: false });
    // Ended by a message whose first call was its second delivery: the first never reached the handler (ackWait).
    const lost = [
      { at: [0], storedAt: 0 },
      { at: [5_000], storedAt: 10, deliveries: [2] },
    ];
    expect(longestWaitingPause(0, lost)).toEqual({ to: 5_000, waitMs: 4_990, endedByRedelivery: true });
  });
});
