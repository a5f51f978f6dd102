// What the cost curves share: the flags, a measurement in a child process, and markdown tables.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { transformSync } from '@swc/core';
import type { ChildResult, ChildTask } from './scale-child.js';

const args = process.argv.slice(2);
/** `--quick`: fewer points and messages, a few minutes in all. */
export const QUICK = args.includes('--quick');
/** `--only=boot,publish,payload,handler,instances,rss`: run these curves only. */
export const ONLY = args
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
/** `--no-append`: print the tables, leave bench/RESULTS.md alone. */
export const APPEND = !args.includes('--no-append');

export const wanted = (curve: string) => !ONLY || ONLY.includes(curve);

const ROOT = join(__dirname, '..');

/** Where the child is compiled to: under node_modules, so `@nest-jetstream/transport` resolves to the built package. */
const CHILD_DIR = join(ROOT, 'node_modules/.cache/bench-scale');
let compiled = false;

/**
 * The child compiled to plain JavaScript once: a child run through the TypeScript hook would carry
 * the compiler in its memory (about 100 MB of RSS), which would swamp the figures it measures.
 * It imports our built package (dist/), so build before a run.
 */
function compileChild(): string {
  if (!compiled) {
    mkdirSync(CHILD_DIR, { recursive: true });
    for (const file of ['scale-child', 'scale-apps', 'scale-baseline']) {
      const { code } = transformSync(readFileSync(join(ROOT, 'bench', `${file}.ts`), 'utf8'), {
        filename: `${file}.ts`,
        jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022' },
        module: { type: 'commonjs' },
      });
      writeFileSync(join(CHILD_DIR, `${file}.js`), code);
    }
    compiled = true;
  }
  return join(CHILD_DIR, 'scale-child.js');
}

/** `SCALE_CHILD_FLAGS`: more Node flags for every child (e.g. `--trace-gc`, `--heap-prof`), space-separated; what they print goes to stderr. */
const CHILD_FLAGS = (process.env.SCALE_CHILD_FLAGS ?? '').split(' ').filter(Boolean);

/** Runs `task` in a fresh Node process (GC exposed, no TypeScript hook) and returns what it printed. */
export function inChild(task: ChildTask): Promise<ChildResult> {
  const script = compileChild();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', ...CHILD_FLAGS, script, JSON.stringify(task)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const lines = out.trim().split('\n');
      const last = lines.pop() ?? '';
      // What a flag made the child print (--trace-gc): shown, not parsed.
      if (CHILD_FLAGS.length && lines.length) process.stderr.write(`${lines.join('\n')}\n`);
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as ChildResult);
      else reject(new Error(`bench child ${task.kind} exited with ${code}: ${out}`));
    });
  });
}

/** A markdown table. */
export function table(title: string, head: string[], rows: (string | number)[][], notes: string[] = []): string {
  const lines = [`### ${title}`, '', `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
  if (notes.length) lines.push('', ...notes);
  return `${lines.join('\n')}\n`;
}

/** Percentile `p` (0..100) of `values` (sorted here). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const fixed = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** The load average now, as the 1-minute figure over the machine's cores: other developers share it. */
export const load = () => loadavg()[0].toFixed(2);

/** Waits until `check()` holds, polling every 20 ms, or fails after `ms` naming `what`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: ${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
