import { DEFAULT_CONNECTION_NAME } from '../connections/connection-errors.js';
import { computePermissions, type NatsPermissions, type PermissionRole, type PermissionsPlan } from './compute-permissions.js';

/** What each connection's identity publishes besides what the plan says (declared: it cannot be inferred from code), by connection name. */
export interface ConnectionPermissionsOptions {
  /** Subjects published through each connection (`{ default: [...], eu: [...] }`); the plan's `publishes` count as the default's. */
  publishes?: Readonly<Record<string, readonly string[]>>;
  /** The inbox prefix of each named connection (its `connection.inboxPrefix`). Default `_INBOX`. */
  inboxPrefixes?: Readonly<Record<string, string>>;
}

const isDefault = (c: string | undefined) => c === undefined || c === DEFAULT_CONNECTION_NAME;

/** The dead letters `name` sends (and the safety net it runs); without a split, the default connection sends them all. */
function deadLettersOf(plan: PermissionsPlan, name: string): Pick<PermissionsPlan, 'deadLetterSubjects' | 'deadLetterStreams' | 'advisory'> {
  const split = plan.deadLettersByConnection;
  if (!split) return isDefault(name) ? plan : { deadLetterSubjects: [], deadLetterStreams: [] };
  const own = split[name];
  return { deadLetterSubjects: own?.subjects ?? [], deadLetterStreams: own?.streams ?? [], advisory: own?.advisory };
}

/**
 * What the app does through each connection: a handler's consumer (and the stream it reads) on
 * the handler's connection, a declared stream on its own, the publishes declared for it, a handler's
 * dead letters and the safety net over them on the handler's; what only the default connection does (the storage check,
 * cron schedules, KV idempotency buckets) stays on the default one.
 */
export function planByConnection(plan: PermissionsPlan, options: ConnectionPermissionsOptions = {}): Map<string, PermissionsPlan> {
  const names = new Set<string>([DEFAULT_CONNECTION_NAME]);
  for (const c of plan.consumers) names.add(c.connection ?? DEFAULT_CONNECTION_NAME);
  for (const c of Object.values(plan.streamConnections ?? {})) names.add(c);
  for (const c of Object.keys(options.publishes ?? {})) names.add(c);
  const plans = new Map<string, PermissionsPlan>();
  for (const name of names) {
    const consumers = plan.consumers.filter((c) => (isDefault(name) ? isDefault(c.connection) : c.connection === name));
    const onThis = (stream: string) => {
      const declaredOn = plan.streamConnections?.[stream];
      if (declaredOn !== undefined) return isDefault(name) ? isDefault(declaredOn) : declaredOn === name;
      // Not declared on a named connection: the default's unless only handlers on other connections read it.
      const readers = plan.consumers.filter((c) => c.stream === stream);
      return readers.some((c) => (isDefault(name) ? isDefault(c.connection) : c.connection === name)) || (isDefault(name) && readers.length === 0);
    };
    const publishes = [...(isDefault(name) ? plan.publishes : []), ...(options.publishes?.[name] ?? [])];
    if (isDefault(name)) {
      plans.set(name, { ...plan, ...deadLettersOf(plan, name), streams: plan.streams.filter(onThis), consumers, publishes });
      continue;
    }
    plans.set(name, {
      streams: plan.streams.filter(onThis),
      consumers,
      ...deadLettersOf(plan, name),
      publishes,
      leaderAdvisories: plan.leaderAdvisories,
      inboxPrefix: options.inboxPrefixes?.[name],
    });
  }
  return plans;
}

/**
 * The least-privilege permissions of `role` for each connection's identity (`authorization.users`
 * of that connection's servers or account), by connection name, the default one included: each gets
 * only what the app does through it (see `planByConnection`).
 */
export function computeConnectionPermissions(
  plan: PermissionsPlan,
  role: PermissionRole,
  options: ConnectionPermissionsOptions = {},
): Record<string, NatsPermissions> {
  return Object.fromEntries([...planByConnection(plan, options)].map(([name, p]) => [name, computePermissions(p, role)]));
}
