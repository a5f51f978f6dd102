import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';

// The published types as a user's compiler sees them: both packed tarballs (scripts/pack-packages.sh,
// run by npm test) installed into a fresh consumer project, with the peer dependencies a user adds,
// and a small consumer that imports the root and every subpath, type-checked (library .d.ts files
// included: skipLibCheck off) by TypeScript 5.x and TypeScript 7 under each module setting users
// pick. The install prefers the npm cache (the repository's own install filled it), so it is quick
// and works offline when the cache has everything.
const root = join(__dirname, '..', '..');
const packDir = join(root, '.cache', 'packs');

/**
 * The compilers under test: the npm package name installed in the consumer, and its tsc. TypeScript 5
 * is the repository's own (so its install already put that version in the npm cache).
 */
const TYPESCRIPT_5 = ts.version;
const TYPESCRIPT_7 = '7.0.2';
const compilers = [
  { name: `TypeScript ${TYPESCRIPT_5}`, alias: 'typescript', version: TYPESCRIPT_5 },
  { name: `TypeScript ${TYPESCRIPT_7}`, alias: 'typescript-7', version: TYPESCRIPT_7 },
];

/** The peer and type dependencies a user of every subpath installs beside the packages. */
const PEERS = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/microservices',
  '@nestjs/terminus',
  '@opentelemetry/api',
  'prom-client',
  'reflect-metadata',
  'rxjs',
  '@types/node',
];

/**
 * Two consumer projects: NestJS 12 (ES modules only) with the root's versions, and NestJS 11
 * (CommonJS) with the compat app's (test/compat/nest11-cjs), since a CommonJS project on
 * module node16 cannot import NestJS 12 at all (its own `import ... from '@nestjs/common'` fails).
 */
const NEST11_PACKAGE = join(root, 'test', 'compat', 'nest11-cjs', 'package.json');
const projects = [
  { nest: '12', versionsFrom: [join(root, 'package.json')] },
  { nest: '11', versionsFrom: [NEST11_PACKAGE, join(root, 'package.json')] },
] as const;

const INSTALL_TIMEOUT_MS = 300_000;
const TSC_TIMEOUT_MS = 120_000;

/**
 * Module settings users pick, with the consumer files each compiles (.mts: the import conditions,
 * .cts and .ts under commonjs: the require conditions). Library .d.ts files are checked too
 * (skipLibCheck off), except under TypeScript 5's node10 resolution (its default for module
 * commonjs), where @nats-io/* 3.x's own types do not resolve (they need exports-aware resolution):
 * that setting is checked with skipLibCheck on, as Nest's starter tsconfig has it.
 */
const settings = [
  { nest: '12', name: 'module node16', compilerOptions: { module: 'node16', moduleResolution: 'node16' }, files: ['consumer.mts'] },
  { nest: '12', name: 'module nodenext', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' }, files: ['consumer.mts'] },
  {
    nest: '12',
    name: 'module preserve, moduleResolution bundler',
    compilerOptions: { module: 'preserve', moduleResolution: 'bundler' },
    files: ['consumer.ts'],
  },
  { nest: '11', name: 'module node16', compilerOptions: { module: 'node16', moduleResolution: 'node16' }, files: ['consumer.mts', 'consumer.cts'] },
  { nest: '11', name: 'module nodenext', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' }, files: ['consumer.mts', 'consumer.cts'] },
  {
    nest: '11',
    name: "module commonjs (the compiler's default resolution), skipLibCheck",
    compilerOptions: { module: 'commonjs', skipLibCheck: true },
    files: ['consumer.ts'],
  },
] as const;

const CONSUMER = `import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { JetStreamClient, JetStreamContext, JetStreamEvent, JetStreamModule, JetStreamServer, parseDuration, type Duration } from '@nest-jetstream/transport';
import { JetStreamMetrics, type JetStreamMetricsOptions } from '@nest-jetstream/transport/metrics';
import { JetStreamTracing } from '@nest-jetstream/transport/tracing';
import { JetStreamHealthIndicator } from '@nest-jetstream/transport/terminus';
import { SqlIdempotencyStore, sqliteExecutor } from '@nest-jetstream/transport/sql';
import { NatsServer, waitFor } from '@nest-jetstream/testing';

@Controller()
export class OrdersController {
  @JetStreamEvent('orders.created')
  created(data: { id: string }, ctx: JetStreamContext): string {
    return \`\${data.id} \${ctx.getSubject()}\`;
  }
}

@Module({ controllers: [OrdersController] })
export class OrdersModule {}

const timeout: Duration = '5s';
export const timeoutMs: number = parseDuration(timeout);
// @ts-expect-error a Duration is a number or a string with a unit: the types are read, not any
export const wrong: Duration = '5 parsecs';
export const classes = [JetStreamServer, JetStreamClient, JetStreamModule, JetStreamMetrics, JetStreamTracing, JetStreamHealthIndicator, SqlIdempotencyStore] as const;
export type MetricsOptions = JetStreamMetricsOptions;
export const executor: typeof sqliteExecutor = sqliteExecutor;
export async function withServer(): Promise<string> {
  const server: NatsServer = await NatsServer.start();
  await waitFor('the server to be up', () => server.url.length > 0);
  return server.url;
}
`;

interface Run {
  code: number;
  output: string;
}

function run(command: string, args: string[], cwd: string, timeout: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as NodeJS.ErrnoException).code ?? 1) || 1 : 0, output: `${stdout}${stderr}` }),
    );
  });
}

/** A consumer project with both packed packages, the peers at the versions `versionsFrom` names, and both compilers. */
async function installConsumer(tarballs: string[], nest: string, versionsFrom: readonly string[]): Promise<string> {
  const sources = versionsFrom.map(
    (file) => JSON.parse(readFileSync(file, 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> },
  );
  const peers = Object.fromEntries(
    PEERS.map((name) => {
      const range = sources.map((pkg) => pkg.dependencies?.[name] ?? pkg.devDependencies?.[name]).find(Boolean);
      if (!range) throw new Error(`none of ${versionsFrom.join(', ')} names a version of ${name}; add it there or drop it from PEERS in ${__filename}.`);
      return [name, range];
    }),
  );
  const dir = mkdtempSync(join(tmpdir(), `nest-jetstream-consumer-nest${nest}-`));
  const dependencies = {
    ...Object.fromEntries(
      tarballs.map((t) => [t.startsWith('nest-jetstream-transport') ? '@nest-jetstream/transport' : '@nest-jetstream/testing', `file:${join(packDir, t)}`]),
    ),
    ...peers,
    ...Object.fromEntries(compilers.map((c) => [c.alias, c.alias === 'typescript' ? c.version : `npm:typescript@${c.version}`])),
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-nest${nest}`, private: true, type: 'commonjs', dependencies }, null, 2));
  const install = await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'],
    dir,
    INSTALL_TIMEOUT_MS,
  );
  if (install.code !== 0) throw new Error(`npm install in the consumer project ${dir} failed:\n${install.output}`);
  for (const file of ['consumer.mts', 'consumer.cts', 'consumer.ts']) writeFileSync(join(dir, file), CONSUMER);
  return dir;
}

describe('the published types in consumer projects (TypeScript 5.x and 7; NestJS 12 and 11; node16, nodenext, commonjs, bundler)', () => {
  const consumers = new Map<string, string>();

  beforeAll(async () => {
    const tarballs = existsSync(packDir) ? readdirSync(packDir).filter((f) => f.endsWith('.tgz')) : [];
    if (tarballs.length !== 2) {
      throw new Error(
        `expected the two packed packages in ${packDir}, found ${tarballs.length}: build, then run \`bash scripts/pack-packages.sh\` (npm test does both).`,
      );
    }
    const dirs = await Promise.allSettled(projects.map((p) => installConsumer(tarballs, p.nest, p.versionsFrom)));
    dirs.forEach((d, i) => d.status === 'fulfilled' && consumers.set(projects[i].nest, d.value));
    const failed = dirs.find((d) => d.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }, INSTALL_TIMEOUT_MS + 10_000);

  afterAll(() => {
    for (const dir of consumers.values()) rmSync(dir, { recursive: true, force: true });
  });

  const cases = compilers.flatMap((compiler) =>
    settings.map((setting) => ({ ...setting, compiler, label: `${compiler.name}, NestJS ${setting.nest}, ${setting.name}` })),
  );

  it.each(cases)(
    '$label: the consumer type-checks against the packed .d.ts files',
    async ({ compiler, compilerOptions, files, name, nest }) => {
      const consumer = consumers.get(nest);
      if (!consumer) throw new Error(`the NestJS ${nest} consumer project was not installed (see beforeAll's error).`);
      const tsc = join(consumer, 'node_modules', compiler.alias, 'bin', 'tsc');
      const version = await run(process.execPath, [tsc, '--version'], consumer, TSC_TIMEOUT_MS);
      expect(version.output).toContain(`Version ${compiler.version}`);
      const dir = join(consumer, `${compiler.alias}-${name.replace(/[^a-z0-9]+/gi, '-')}`);
      mkdirSync(dir, { recursive: true });
      const tsconfig = join(dir, 'tsconfig.json');
      writeFileSync(
        tsconfig,
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            lib: ['ES2022'],
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            experimentalDecorators: true,
            emitDecoratorMetadata: true,
            types: ['node'],
            ...compilerOptions,
          },
          files: files.map((f) => join(consumer, f)),
        }),
      );
      const check = await run(process.execPath, [tsc, '-p', tsconfig], consumer, TSC_TIMEOUT_MS);
      expect(check.output.trim()).toBe('');
      expect(check.code).toBe(0);
    },
    TSC_TIMEOUT_MS + 10_000,
  );
});
