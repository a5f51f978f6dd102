import type { NatsPermissions, PermissionRole } from '../permissions/compute-permissions.js';
import type { JetStreamServer } from '../server/jetstream.server.js';

/**
 * A nats-server config with one user per entry, whose password is its name: with permissions, it
 * holds exactly those; with `undefined`, it may do anything.
 */
export function usersConfig(users: Record<string, NatsPermissions | undefined>): string {
  const user = ([name, p]: [string, NatsPermissions | undefined]) =>
    p === undefined ? `{ user: ${name}, password: ${name} }` : `{ user: ${name}, password: ${name}, permissions: ${JSON.stringify(p)} }`;
  return `authorization { users: [ ${Object.entries(users).map(user).join(', ')} ] }`;
}

/** The permissions `strategy` (listening) computes for each role, for an app that publishes `publishes`. */
export async function rolePermissions(strategy: JetStreamServer, publishes: string[]): Promise<Record<PermissionRole, NatsPermissions>> {
  const perms = {} as Record<PermissionRole, NatsPermissions>;
  for (const role of ['admin', 'consumer', 'producer'] as const) perms[role] = await strategy.permissions(role, { publishes });
  return perms;
}
