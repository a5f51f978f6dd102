// Slowest spec files first, so no long file starts last and leaves a worker alone at the end of
// the run. Jest's own sequencer does that only with timings from an earlier run on this machine;
// a fresh clone (CI) has none, so it falls back to file size. Here a file's time is, in order: jest's
// own timing from an earlier run, the time scripts/test-weights.json recorded (regenerate with
// `node scripts/test-weights.mjs < test-output.log`), or 0 (the quick ones, largest file first).
const { join, relative } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;
const weights = require('./test-weights.json');

const root = join(__dirname, '..');

class SlowestFirst extends Sequencer {
  sort(tests) {
    const key = (test) => this.time(test) ?? (weights[relative(root, test.path)] ?? 0) * 1000;
    const size = (test) => test.context.hasteFS.getSize(test.path) ?? 0;
    return [...tests].sort((a, b) => Number(this.hasFailed(b)) - Number(this.hasFailed(a)) || key(b) - key(a) || size(b) - size(a));
  }
}

module.exports = SlowestFirst;
