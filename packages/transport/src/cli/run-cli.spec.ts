import { runCliHere } from './__fixtures__/cli-process.js';
import { COMMANDS } from './commands.js';

/** `nest-jetstream <args>` in this process (the fixture every CLI spec uses), as `{ code, out, err }`. */
async function run(args: string[]) {
  const { code, stdout, stderr } = await runCliHere(args);
  return { code, out: stdout, err: stderr };
}

describe('nest-jetstream (the command line)', () => {
  it('lists every registered command in --help, with the exit codes', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const c of COMMANDS) expect(help.out).toContain(`  ${c.name}`);
    expect(help.out).toMatch(/Exit codes: 0 ok, 1 failed, 2 usage/);
  });

  it('is a usage error (exit 2) for an unknown command, an unknown flag or a missing --app, each saying so', async () => {
    expect(await run(['lag'])).toMatchObject({ code: 2, err: expect.stringContaining('unknown command "lag"') as unknown });
    const flag = await run(['k8s', '--replicas', '3']);
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(/Unknown option '--replicas'[\s\S]*Usage: nest-jetstream k8s/);
    expect(await run(['permissions'])).toMatchObject({ code: 2, err: expect.stringContaining('--app is required') as unknown });
    expect(await run(['dead-letters', 'purge'])).toMatchObject({ code: 2, err: expect.stringContaining('unknown action "purge"') as unknown });
  });

  it("shows a command's own usage with --help, connection flags only for a command that connects", async () => {
    const consumers = await run(['consumers', '--help']);
    expect(consumers.out).toMatch(/--prune[\s\S]*--servers nats:\/\/host:4222/);
    const k8s = await run(['k8s', '--help']);
    expect(k8s.out).toContain('--check');
    expect(k8s.out).not.toContain('--servers');
  });
});
