import { ELECTION_SLACK_MS, formatPauseSummary, summarizePauses } from './pause-summary';
import type { FaultReport } from './workload/workload';

// The fault report's summary, from rows made by hand (no server): each fault is judged against its own election.

const row = (scenario: string, recoverMs: number, electionMs?: number, publishPauseMs = 1_000): FaultReport => ({
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
    expect(lines[0]).toContain('| election: worst | mean | pause − election: worst | mean | over election + 3.0 s |');
    expect(lines.find((l) => l.startsWith('| fast'))).toContain('| within |');
    expect(lines.find((l) => l.startsWith('| late'))).toContain('| EXCEEDS (1 of 1) |');
    expect(lines).toContain('Over their election + 3.0 s in at least one fault: late');
    expect(lines).toContain('Over the fixed bound of 8.0 s: late');
  });
});
