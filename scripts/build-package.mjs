// Builds the package in the current directory twice from one source:
// dist/cjs (CommonJS, for NestJS 11 apps) and dist/esm (ES modules, for NestJS 12 apps).
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const run = (args) => execFileSync(process.execPath, [tsc, ...args], { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
// The package ships no src/: each source map embeds its source (inlineSources), so a stack
// trace under --enable-source-maps and a debugger show the TypeScript line, not a missing file.
const maps = ['--sourceMap', '--inlineSources'];
// The package.json says "type": "commonjs", so module node16 emits CommonJS.
run(['-p', 'tsconfig.build.json', '--outDir', 'dist/cjs', ...maps]);
run(['-p', 'tsconfig.build.json', '--outDir', 'dist/esm', '--module', 'esnext', '--moduleResolution', 'bundler', ...maps]);
writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }) + '\n');
writeFileSync('dist/esm/package.json', JSON.stringify({ type: 'module' }) + '\n');
