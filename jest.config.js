module.exports = {
  projects: ['<rootDir>/packages/testing', '<rootDir>/packages/transport', '<rootDir>/test'],
  // Integration tests start real nats-servers (a cluster election takes seconds).
  testTimeout: 60_000,
  // The slowest spec files first (timings in scripts/test-weights.json), so none starts last.
  testSequencer: '<rootDir>/scripts/jest-sequencer.cjs',
};
