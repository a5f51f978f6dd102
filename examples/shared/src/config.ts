import type { JetStreamOptions } from '@nest-jetstream/transport';

/** Every environment variable the services read, with its local default. The compose file sets them. */
export const ENV = {
  NATS_SERVERS: 'nats://127.0.0.1:4222',
  NATS_USER: '',
  NATS_PASS: '',
  NATS_REPLICAS: '1',
  NATS_MONITOR_URL: '',
  /** How the service provisions: `create-or-update` (an identity that may create streams), or `verify` / `off` (least privilege, after a provisioning run). */
  NATS_PROVISIONING: 'create-or-update',
  /** `true`: provision the streams and consumers, then exit (a one-shot job run with the admin identity). */
  NATS_PROVISION_ONLY: '',
  HTTP_PORT: '',
  HTTP_HOST: '127.0.0.1',
  DB_PATH: '',
} as const;

type ProvisioningMode = NonNullable<JetStreamOptions['provisioning']>;
const MODES: readonly ProvisioningMode[] = ['create-or-update', 'verify', 'off'];

export type EnvName = keyof typeof ENV;

export interface ServiceConfig {
  natsServers: string[];
  natsUser?: string;
  natsPass?: string;
  replicas: number;
  /** The NATS monitoring endpoint the readiness check asks (e.g. http://nats-1:8222); none by default. */
  natsMonitorUrl?: string;
  provisioning: ProvisioningMode;
  provisionOnly: boolean;
  httpPort: number;
  httpHost: string;
  dbPath: string;
}

function read(name: EnvName, env: NodeJS.ProcessEnv): string {
  return env[name] ?? ENV[name];
}

/** Reads the environment; `defaults` gives the service's own port and database file. */
export function loadConfig(defaults: { httpPort: number; dbPath: string }, env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const port = Number(read('HTTP_PORT', env) || defaults.httpPort);
  const replicas = Number(read('NATS_REPLICAS', env));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`HTTP_PORT must be a port number; got "${env['HTTP_PORT']}"`);
  const provisioning = read('NATS_PROVISIONING', env) as ProvisioningMode;
  if (!MODES.includes(provisioning)) throw new Error(`NATS_PROVISIONING must be one of ${MODES.join(', ')}; got "${provisioning}"`);
  const provisionOnly = read('NATS_PROVISION_ONLY', env);
  if (!['', 'true', 'false'].includes(provisionOnly)) throw new Error(`NATS_PROVISION_ONLY must be true or false; got "${provisionOnly}"`);
  if (![1, 3, 5].includes(replicas)) throw new Error(`NATS_REPLICAS must be 1, 3 or 5; got "${env['NATS_REPLICAS']}"`);
  return {
    natsServers: read('NATS_SERVERS', env)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    natsUser: read('NATS_USER', env) || undefined,
    natsPass: read('NATS_PASS', env) || undefined,
    replicas,
    natsMonitorUrl: read('NATS_MONITOR_URL', env) || undefined,
    provisioning,
    provisionOnly: provisionOnly === 'true',
    httpPort: port,
    httpHost: read('HTTP_HOST', env),
    dbPath: read('DB_PATH', env) || defaults.dbPath,
  };
}

/** Connection options for both transports. */
export function natsConnection(config: ServiceConfig, name: string) {
  return { servers: config.natsServers, name, user: config.natsUser, pass: config.natsPass, maxReconnectAttempts: -1 };
}
