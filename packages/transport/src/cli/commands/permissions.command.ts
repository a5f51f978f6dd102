import { computePermissions, type NatsPermissions, type PermissionRole } from '../../permissions/compute-permissions.js';
import { permissionsPlanOf } from '../app/app-permissions.js';
import type { LoadedApp } from '../app/app-loader.js';
import type { CliCommand } from '../cli-command.js';
import { CliError, EXIT } from '../exit-codes.js';
import { stringFlag } from '../flags.js';

const ROLES: readonly PermissionRole[] = ['admin', 'consumer', 'producer'];

const USAGE = `Usage: nest-jetstream permissions --app FILE [--role admin,consumer]

  The least-privilege NATS permissions of each app, computed from its module without connecting:
  the JSON a nats-server config takes under authorization.users[].permissions.
  --role LIST                  roles, comma-separated: admin, consumer, producer (default admin,consumer)`;

/** The permissions of an app for a role, with the core-NATS subjects its spec adds. */
export type AppPermissions = NatsPermissions & { allow_responses?: boolean };

/** The permissions of `app` for `role`: the library's, plus the core-NATS subjects the app declares in its `JetStreamCliApp`. */
export async function appPermissions(app: LoadedApp, role: PermissionRole): Promise<AppPermissions> {
  const computed = computePermissions(await permissionsPlanOf(app), role);
  const core = app.spec.coreNats ?? {};
  const sorted = (a: string[], b: readonly string[] = []) => [...new Set([...a, ...b])].sort();
  return {
    publish: { allow: sorted(computed.publish.allow, core.publish) },
    subscribe: { allow: sorted(computed.subscribe.allow, core.subscribe) },
    ...(core.allowResponses ? { allow_responses: true } : {}),
  };
}

/** `nest-jetstream permissions`. */
export const permissionsCommand: CliCommand = {
  name: 'permissions',
  summary: "the least-privilege NATS permissions of each app's roles (admin, consumer, producer), without connecting",
  usage: USAGE,
  connects: false,
  readsApps: true,
  options: { role: { type: 'string' } },
  async run(ctx) {
    const roles = (stringFlag(ctx.values, 'role') ?? 'admin,consumer').split(',').map((r) => r.trim());
    const unknown = roles.filter((r) => !ROLES.includes(r as PermissionRole));
    if (unknown.length > 0) throw new CliError(`--role ${unknown.join(', ')}: not a role; the roles are ${ROLES.join(', ')}.`, EXIT.usage);
    const apps = await ctx.apps();
    const result: { app: string; role: PermissionRole; permissions: AppPermissions }[] = [];
    for (const role of roles as PermissionRole[]) {
      for (const app of apps) {
        const permissions = await appPermissions(app, role);
        result.push({ app: app.name, role, permissions });
        ctx.out.line(`# ${app.name}, role ${role}${app.spec.coreNats ? ' (with its core-NATS request/reply subjects)' : ''}`);
        ctx.out.line(JSON.stringify(permissions, null, 2));
      }
    }
    ctx.out.result(result);
    return EXIT.ok;
  },
};
