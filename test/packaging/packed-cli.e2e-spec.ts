import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NatsServer } from '@nest-jetstream/testing';

// The `nest-jetstream` binary as a user gets it: the packed package installed in a CommonJS NestJS 11
// project (test/compat/nest11-cjs, by scripts/prepare-compat.sh), pointed at a plain JavaScript app.

const root = join(__dirname, '..', '..');
const project = join(root, 'test', 'compat', 'nest11-cjs');
const bin = join(project, 'node_modules', '.bin', 'nest-jetstream');
const appFile = join(project, `cli-app-${process.pid}.cjs`);

const APP = `require('reflect-metadata');
const { Controller, Module } = require('@nestjs/common');
const { JetStreamEvent, JetStreamModule } = require('@nest-jetstream/transport');
class Work { run() {} }
JetStreamEvent('packed.work', { autoscale: { lagThreshold: 7 } })(Work.prototype, 'run', Object.getOwnPropertyDescriptor(Work.prototype, 'run'));
Controller()(Work);
class AppModule {}
Module({ imports: [JetStreamModule.forRoot({ serviceName: 'packed', streams: [{ name: 'PACKED', subjects: ['packed.>'] }] })], controllers: [Work] })(AppModule);
module.exports = { AppModule };
`;

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { cwd: project, env: { ...process.env, NATS_URL: '' } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('the packed nest-jetstream binary', () => {
  let server: NatsServer;

  beforeAll(async () => {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: build, then run \`bash scripts/prepare-compat.sh\` (npm test does both).`);
    writeFileSync(appFile, APP);
    server = await NatsServer.start();
  });
  afterAll(async () => {
    rmSync(appFile, { force: true });
    await server?.stop();
  });

  it('is declared in package.json and lists its commands', async () => {
    const pkg = JSON.parse(readFileSync(join(project, 'node_modules', '@nest-jetstream', 'transport', 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(Object.keys(pkg.bin)).toEqual(expect.arrayContaining(['nest-jetstream', 'nest-jetstream-redrive']));
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['consumers', 'dead-letters', 'permissions', 'k8s']) expect(help.stdout).toMatch(new RegExp(`^  ${command}\\s`, 'm'));
  });

  it('reads a JavaScript app (k8s, permissions) and talks to a real server (consumers)', async () => {
    const k8s = await run(['k8s', '--app', `${appFile}#AppModule`]);
    expect(k8s.stderr).toBe('');
    expect(k8s.stdout).toMatch(/consumer: "packed__packed_work"\n\s+lagThreshold: "7"/);
    const permissions = await run(['permissions', '--app', appFile, '--role', 'consumer', '--json']);
    expect(permissions.code).toBe(0);
    expect(JSON.stringify(JSON.parse(permissions.stdout))).toContain('$JS.API.CONSUMER.MSG.NEXT.PACKED.packed__packed_work');
    const consumers = await run(['consumers', '--app', appFile, '--servers', server.url, '--json']);
    expect(consumers.code).toBe(0);
    expect(JSON.parse(consumers.stdout)).toMatchObject({ handlers: [{ consumer: 'packed__packed_work', exists: false }] });
    const unknown = await run(['nope']);
    expect(unknown.code).toBe(2);
  });
});
