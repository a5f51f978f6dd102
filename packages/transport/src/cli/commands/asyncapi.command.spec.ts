import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { CLI_TEST_APP, runCliHere } from '../__fixtures__/cli-process.js';

// `nest-jetstream asyncapi`: the document the /asyncapi subpath makes, from an --app, without
// connecting (no server is started: the command must not need one); --check fails on drift.
describe('nest-jetstream asyncapi', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-asyncapi-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("prints a document the AsyncAPI parser accepts, with a channel for each of the app's handlers", async () => {
    const run = await runCliHere(['asyncapi', '--app', CLI_TEST_APP, '--server-host', 'nats.example:4222']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { diagnostics, document } = await new Parser().parse(run.stdout);
    expect(diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error).map((d) => d.message)).toEqual([]);
    const addresses = document!
      .channels()
      .all()
      .map((c) => c.address());
    expect(addresses).toEqual(expect.arrayContaining(['clitest.work', 'clitest.audit', 'clitestjobs.run', 'clitest.cache']));
    expect(run.stdout).toContain('nats.example:4222');
  });

  it('writes --out, reports it up to date with --check, and exits 7 once it drifts', async () => {
    const out = join(dir, 'asyncapi.json');
    expect((await runCliHere(['asyncapi', '--app', CLI_TEST_APP, '--format', 'json', '--out', out])).code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ asyncapi: '3.0.0' });
    expect((await runCliHere(['asyncapi', '--app', CLI_TEST_APP, '--format', 'json', '--out', out, '--check'])).code).toBe(0);
    writeFileSync(out, readFileSync(out, 'utf8').replace('clitest.work', 'clitest.other'));
    const drift = await runCliHere(['asyncapi', '--app', CLI_TEST_APP, '--format', 'json', '--out', out, '--check']);
    expect(drift.code).toBe(7);
    expect(drift.stdout).toMatch(/differs from what the app generates/);
  });

  it('refuses an unknown format with a usage error naming it', async () => {
    const run = await runCliHere(['asyncapi', '--app', CLI_TEST_APP, '--format', 'xml']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--format xml: not a format; use yaml or json/);
  });
});
