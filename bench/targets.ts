// The figures #24's targets name, in one command, beside raw: a handler with default options against raw with raw's
// defaults, and the tuned handler behind one no-op guard, pipe or interceptor against raw, on NestJS 12 and NestJS 11.
//   npm run bench:targets     (BENCH_ROUNDS rounds, 5 by default; BENCH_MESSAGES per drain, 50k by default)
// Each round runs bench/run.ts once per Nest major (a fresh nats-server each, Nest 12 then 11, the order swapped every
// other round), so both majors see the same machine in turn. Ratios are per round, to raw in the same process; medians
// last. Targets: defaults ≥ 0.85 × raw defaults; guard, pipe, interceptor ≥ 0.8 × raw on NestJS 12.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineLine, printTable, progress } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MESSAGES = process.env.BENCH_MESSAGES ?? '50000';
const KINDS = ['defaults', 'guard', 'pipe', 'interceptor'] as const;

interface Summary {
  nest: string;
  ratio: Record<(typeof KINDS)[number], number[]>;
  cpuUs: Record<'raw' | 'rawDefaults' | (typeof KINDS)[number], number[]>;
}

function once(nest: '12' | '11', dir: string, round: number): Summary {
  const file = join(dir, `summary-${nest}-${round}.json`);
  const env = {
    ...process.env,
    BENCH_ONLY: 'drain',
    BENCH_ROUNDS: '1',
    BENCH_MESSAGES: MESSAGES,
    BENCH_DRAINS: 'raw,rawDefaults,defaults,guard,pipe,interceptor',
    BENCH_SUMMARY: file,
    ...(nest === '11' ? { NEST_COMPAT: '11' } : { NEST_COMPAT: '' }),
  };
  const child = spawnSync(process.execPath, ['-r', './scripts/register.cjs', 'bench/run.ts'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (child.status !== 0) throw new Error(`bench/run.ts on NestJS ${nest} exited with ${child.status}`);
  return JSON.parse(readFileSync(file, 'utf8')) as Summary;
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'bench-targets-'));
  const rows: string[][] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const order: ('12' | '11')[] = round % 2 ? ['12', '11'] : ['11', '12'];
      const got = Object.fromEntries(order.map((nest) => [nest, once(nest, dir, round)])) as Record<'12' | '11', Summary>;
      progress(`targets round ${round} done`);
      for (const nest of ['12', '11'] as const) {
        const s = got[nest];
        rows.push([
          nest,
          `${round}`,
          ...KINDS.map((k) => s.ratio[k][0].toFixed(2)),
          ...(['raw', 'rawDefaults', ...KINDS] as const).map((k) => s.cpuUs[k][0].toFixed(1)),
        ]);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`nest-jetstream bench:targets: ${MESSAGES} messages of 1 KiB per drain, ${ROUNDS} rounds`);
  console.log(machineLine());
  const head = [
    'round',
    'ratio defaults (to raw defaults)',
    'ratio guard',
    'ratio pipe',
    'ratio interceptor',
    'raw CPU µs',
    'raw defaults CPU µs',
    'defaults CPU µs',
    'guard CPU µs',
    'pipe CPU µs',
    'interceptor CPU µs',
  ];
  for (const nest of ['12', '11'])
    printTable(
      `NestJS ${nest} (targets: defaults ≥ 0.85, each enhancer ≥ 0.8 on 12)`,
      head,
      rows.filter((r) => r[0] === nest).map((r) => r.slice(1)),
    );
}

main();
