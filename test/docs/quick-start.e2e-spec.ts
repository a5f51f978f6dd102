import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsServer, waitFor } from '@nest-jetstream/testing';
import { extractSnippets } from './doc-snippets';

// A new user's first hour: the quick start's app.module.ts and main.ts, taken verbatim from the
// README inside the packed package (what npm shows), compiled under strict NodeNext in an
// ES-module NestJS 12 app that installed the tarball (test/compat/nest12-esm), and run against a
// real nats-server: a published orders.created reaches the handler.
const root = join(__dirname, '..', '..');
const appDir = join(root, 'test', 'compat', 'nest12-esm');
const installed = join(appDir, 'node_modules', '@nest-jetstream', 'transport');

function compile(dir: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], (err, stdout, stderr) =>
      resolve(err ? `${stdout}${stderr}` || String(err) : ''),
    );
  });
}

describe("the README's quick start, copied into a fresh NestJS 12 app", () => {
  let server: NatsServer | undefined;
  let work: string | undefined;
  let child: ChildProcessWithoutNullStreams | undefined;

  afterAll(async () => {
    child?.kill('SIGKILL');
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('compiles with no edits and handles a published event', async () => {
    if (!existsSync(installed)) {
      throw new Error(
        `test/compat/nest12-esm has no installed @nest-jetstream/transport: run \`bash scripts/prepare-compat.sh\` after the build (npm test does).`,
      );
    }
    const files = extractSnippets(installed, 'README.md').filter((s) => /\/(app\.module|main)\.ts$/.test(s.file));
    expect(files.map((s) => s.file.split('/').pop()).sort()).toEqual(['app.module.ts', 'main.ts']);

    work = mkdtempSync(join(appDir, '.quickstart-'));
    mkdirSync(join(work, 'src'));
    for (const s of files) writeFileSync(join(work, 'src', s.file.split('/').pop() as string), s.code);
    // The tsconfig `nest new` writes for NestJS 12, made strict; @types/node from the repository.
    writeFileSync(
      join(work, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          skipLibCheck: true,
          outDir: 'dist',
          rootDir: 'src',
          types: ['node'],
          typeRoots: [join(root, 'node_modules', '@types')],
        },
        include: ['src'],
      }),
    );
    expect(await compile(work)).toBe('');

    server = await NatsServer.start();
    let stdout = '';
    let stderr = '';
    child = spawn(process.execPath, [join(work, 'dist', 'main.js')], { cwd: work, env: { ...process.env, NATS_URL: server.url, PORT: '0', NO_COLOR: '1' } });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child?.on('exit', resolve));
    await waitFor(`the quick start app to start (stdout: ${stdout}, stderr: ${stderr})`, () => stdout.includes('Nest application successfully started'), {
      timeout: 30_000,
    });

    const nc = await connect({ servers: server.url });
    try {
      await jetstream(nc).publish('orders.created', JSON.stringify({ id: 'qs-1' }));
    } finally {
      await nc.close();
    }
    await waitFor(`the handler to charge order qs-1 (stdout: ${stdout}, stderr: ${stderr})`, () => stdout.includes('charged order qs-1 (attempt 1)'), {
      timeout: 20_000,
    });

    // SIGTERM: enableShutdownHooks closes the app (and its NATS connections) and the process ends.
    child.kill('SIGTERM');
    await exited;
    expect(stderr).toBe('');
  }, 120_000);
});
