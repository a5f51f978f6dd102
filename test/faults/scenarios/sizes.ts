// How big each scenario runs: `short` in npm test (the guarantees, quickly), `full` in
// `npm run faults` (the figures of docs/reliability.md).
import type { NatsServerVersionLabel } from '@nest-jetstream/testing';

export interface Size {
  /** Messages published per scenario. */
  messages: number;
  /** Poison messages of the dead-letter scenario. */
  poison: number;
  /** The slow consumer's backlog. */
  backlog: number;
  /** Fuzzed messages and option sets. */
  fuzzRuns: number;
  /** The hostile-input scenario: messages near max_payload, undecodable ones, and a flood for a slow handler. */
  hostile: { oversized: number; decodeFailures: number; flood: number };
  /** fast-check's seed: fixed for the short run (the same cases every CI run), random for the full one. */
  seed?: number;
  /** How long a scenario may wait for everything to be handled after its fault, in ms. */
  settleMs: number;
}

export const SIZES: Record<'short' | 'full', Size> = {
  short: {
    messages: 600,
    poison: 6,
    backlog: 20_000,
    fuzzRuns: 40,
    hostile: { oversized: 10, decodeFailures: 200, flood: 2_000 },
    seed: 20261124,
    settleMs: 60_000,
  },
  full: { messages: 10_000, poison: 40, backlog: 200_000, fuzzRuns: 300, hostile: { oversized: 200, decodeFailures: 5_000, flood: 20_000 }, settleMs: 180_000 },
};

export interface RunOptions {
  size: Size;
  version: NatsServerVersionLabel;
}
