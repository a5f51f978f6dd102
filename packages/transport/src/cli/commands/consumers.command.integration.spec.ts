import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { NatsServer } from '@nest-jetstream/testing';
import { versionAtLeast } from '../../utils/server-version.js';
import { bootCliTestApp } from '../__fixtures__/boot-cli-test-app.js';
import { CLI_TEST_APP, runCliHere } from '../__fixtures__/cli-process.js';
import type { ConsumersView } from '../consumers/consumer-rows.js';
import { PAUSE_MIN_SERVER } from './consumers.command.js';

// `nest-jetstream consumers`: the handlers' consumers of an app that ran once (its durables stay),
// with messages waiting; a consumer of the service that no handler owns, pruned only when
// confirmed; pause and resume on 2.11+, and a clear refusal on older servers.

describe('nest-jetstream consumers (real nats-server)', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let args: string[];

  beforeAll(async () => {
    server = await NatsServer.start();
    args = ['--app', CLI_TEST_APP, '--servers', server.url];
    const app = await bootCliTestApp(server.url);
    await app.close();
    nc = await connect({ servers: server.url });
    jsm = await jetstreamManager(nc);
    for (let i = 0; i < 3; i++) await jetstream(nc).publish('clitest.work', JSON.stringify({ i }));
    await jsm.consumers.add('CLITEST', { durable_name: 'clitest__clitest_old', ack_policy: AckPolicy.Explicit, filter_subject: 'clitest.old' });
    // Another service's consumer on the same stream: shown, never pruned.
    await jsm.consumers.add('CLITEST', { durable_name: 'billing__clitest_work', ack_policy: AckPolicy.Explicit, filter_subject: 'clitest.work' });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it("shows each handler's consumer with its lag, and the one no handler owns", async () => {
    const json = await runCliHere(['consumers', '--json', ...args]);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const view = JSON.parse(json.stdout) as ConsumersView;
    const work = view.handlers.find((r) => r.consumer === 'clitest__clitest_work');
    expect(work).toMatchObject({
      app: 'clitest-service',
      stream: 'CLITEST',
      mode: 'shared',
      exists: true,
      pending: 3,
      ackPending: 0,
      redelivered: 0,
      paused: false,
    });
    expect(work?.oldestUnprocessedMs).toBeGreaterThanOrEqual(0);
    expect(view.handlers.find((r) => r.subject === 'clitestjobs.run')).toMatchObject({ stream: 'CLITEST_JOBS', pending: 0 });
    // The broadcast handler's consumers belong to running instances: none now.
    expect(view.handlers.find((r) => r.subject === 'clitest.cache')).toMatchObject({ exists: false, consumer: 'clitest__clitest_cache_*' });
    expect(view.unowned.map((c) => `${c.stream}/${c.consumer}`)).toEqual(['CLITEST/clitest__clitest_old']);
    expect(view.others).toEqual([{ stream: 'CLITEST', consumer: 'billing__clitest_work', pending: 3, ackPending: 0, durable: true }]);

    const people = await runCliHere(['consumers', ...args]);
    expect(people.stdout).toMatch(/clitest-service\s+clitest\.work\s+shared\s+CLITEST\/clitest__clitest_work\s+3\s+0\s+0\s+\d+s\s+no/);
    expect(people.stdout).toMatch(/Remove the 1 left behind with --prune/);
    expect(people.stdout).toMatch(/Other consumers on these streams[^\n]*never pruned[^]*CLITEST\/billing__clitest_work\s+3\s+0\s+yes/);
  });

  it('--prune asks first: without a terminal or --yes nothing is removed (exit 8); with --yes it is removed', async () => {
    const declined = await runCliHere(['consumers', '--prune', ...args]);
    expect(declined.code).toBe(8);
    expect(declined.stderr).toMatch(/Pass --yes/);
    expect((await jsm.consumers.info('CLITEST', 'clitest__clitest_old')).name).toBe('clitest__clitest_old');

    const pruned = await runCliHere(['consumers', '--prune', '--yes', '--json', ...args]);
    expect(pruned.code).toBe(0);
    expect((JSON.parse(pruned.stdout) as { removed: string[] }).removed).toEqual(['CLITEST/clitest__clitest_old']);
    await expect(jsm.consumers.info('CLITEST', 'clitest__clitest_old')).rejects.toThrow(/consumer not found/);
    // Another service's consumer is never pruned, nor are the handlers' consumers.
    expect((await jsm.consumers.info('CLITEST', 'billing__clitest_work')).name).toBe('billing__clitest_work');
    expect((await jsm.consumers.info('CLITEST', 'clitest__clitest_work')).num_pending).toBe(3);
  });

  it(`pauses and resumes a consumer on nats-server ${PAUSE_MIN_SERVER}+, and names the version on older servers (exit 5)`, async () => {
    const pause = await runCliHere(['consumers', 'pause', 'CLITEST/clitest__clitest_work', '--for', '1h', '--servers', server.url]);
    if (!versionAtLeast(nc.info?.version, PAUSE_MIN_SERVER)) {
      expect(pause.code).toBe(5);
      expect(pause.stderr).toContain(`${server.url} runs nats-server ${nc.info?.version}; consumer pause needs nats-server 2.11 or later`);
      return;
    }
    expect(pause.stderr).toBe('');
    expect(pause.stdout).toMatch(/Paused CLITEST\/clitest__clitest_work on .* until \d{4}-/);
    expect((await jsm.consumers.info('CLITEST', 'clitest__clitest_work')).paused).toBe(true);
    const listed = JSON.parse((await runCliHere(['consumers', '--json', ...args])).stdout) as ConsumersView;
    expect(listed.handlers.find((r) => r.consumer === 'clitest__clitest_work')?.paused).toBe(true);

    // Named by its durable, with --app.
    const resume = await runCliHere(['consumers', 'resume', 'clitest__clitest_work', ...args]);
    expect(resume.stdout).toMatch(/Resumed CLITEST\/clitest__clitest_work/);
    expect((await jsm.consumers.info('CLITEST', 'clitest__clitest_work')).paused).toBeFalsy();
  });

  it('a consumer that is not there is exit 4, naming the server', async () => {
    const out = await runCliHere(['consumers', 'resume', 'CLITEST/nope', '--servers', server.url]);
    if (!versionAtLeast(nc.info?.version, PAUSE_MIN_SERVER)) return expect(out.code).toBe(5);
    expect(out.code).toBe(4);
    expect(out.stderr).toContain(`${server.url}: cannot resume consumer CLITEST/nope`);
  });
});
