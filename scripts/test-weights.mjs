// Writes scripts/test-weights.json from the output of `npm test` (or of `bash .ci/run`): how long
// each slow spec file took, so the jest sequencer (scripts/jest-sequencer.cjs) starts the slowest
// first on a fresh clone, where jest has no timings of its own. Only the order of the run changes.
//   node scripts/test-weights.mjs < test-output.log
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const MIN_SECONDS = 5;
const log = readFileSync(0, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
const weights = {};
for (const line of log.split('\n')) {
  const m = /^(?:PASS|FAIL)\s+\S+\s+(\S+)\s+\(([0-9.]+) s\)$/.exec(line.trim());
  if (!m) continue;
  const seconds = Math.round(Number(m[2]));
  if (seconds >= MIN_SECONDS) weights[m[1]] = Math.max(weights[m[1]] ?? 0, seconds);
}
const sorted = Object.fromEntries(Object.entries(weights).sort(([, a], [, b]) => b - a));
const out = join(dirname(fileURLToPath(import.meta.url)), 'test-weights.json');
writeFileSync(out, `${JSON.stringify(sorted, null, 2)}\n`);
console.log(`${Object.keys(sorted).length} spec files of ${MIN_SECONDS} s or more written to ${out}`);
