import { NatsServer } from '@nest-jetstream/testing';
import type { PermissionRole } from '../../permissions/compute-permissions.js';
import { bootCliTestApp } from '../__fixtures__/boot-cli-test-app.js';
import { CLI_TEST_APP, runCliHere } from '../__fixtures__/cli-process.js';
import type { AppPermissions } from './permissions.command.js';

// `nest-jetstream permissions` computes from the app's module, without connecting, exactly what the
// running app's JetStreamServer.permissions() computes once it has listened on a real server.

describe('nest-jetstream permissions (real nats-server)', () => {
  let server: NatsServer;

  beforeAll(async () => {
    server = await NatsServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('gives, for every role, the permissions the running app computes', async () => {
    const roles: PermissionRole[] = ['admin', 'consumer', 'producer'];
    const out = await runCliHere(['permissions', '--app', CLI_TEST_APP, '--role', roles.join(','), '--json']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const computed = JSON.parse(out.stdout) as { app: string; role: PermissionRole; permissions: AppPermissions }[];
    expect(computed.map((c) => c.role)).toEqual(roles);

    const app = await bootCliTestApp(server.url);
    try {
      for (const role of roles) {
        const running = await app.server.permissions(role, { publishes: ['clitest.work'] });
        expect(computed.find((c) => c.role === role)?.permissions).toEqual(running);
      }
    } finally {
      await app.close();
    }
  });

  it('prints each role for people, and refuses a role that does not exist (exit 2)', async () => {
    const people = await runCliHere(['permissions', '--app', CLI_TEST_APP, '--role', 'consumer']);
    expect(people.stdout).toMatch(/^# clitest-service, role consumer\n\{\n {2}"publish"/);
    expect(people.stdout).toContain('"$JS.API.CONSUMER.MSG.NEXT.CLITEST.clitest__clitest_work"');
    const bad = await runCliHere(['permissions', '--app', CLI_TEST_APP, '--role', 'root']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--role root: not a role; the roles are admin, consumer, producer/);
  });

  it('an --app that cannot be loaded is exit 6, naming the file and its exports', async () => {
    const out = await runCliHere(['permissions', '--app', `${CLI_TEST_APP}#Nope`]);
    expect(out.code).toBe(6);
    expect(out.stderr).toMatch(/exports no "Nope" \(its exports: .*cliTestModule.*\)/);
  });
});
