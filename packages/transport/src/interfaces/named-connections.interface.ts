import type { NodeConnectionOptions } from '@nats-io/transport-node';

/** One named connection besides the default one: its own servers, credentials, TLS and JetStream domain. */
export interface NamedConnectionOptions {
  /** `@nats-io/transport-node` connection options (servers, user/pass, token, authenticator, tls...), as the default `connection`. */
  connection: NodeConnectionOptions;
  /** The JetStream domain this connection's JetStream API calls go to (see the app's `domain`). Default none. */
  domain?: string;
  /**
   * `true` (default): the client's `connect()` waits for it and fails when it cannot connect.
   * `false`: it connects in the background (retrying until it does) and never blocks the boot;
   * while it is down, publishing through it fails with `ConnectionUnavailableError` and the
   * connections' health is `degraded`, not `down`.
   */
  critical?: boolean;
}

/** The `connections` option: named connections a client publishes through (`publish(s, d, { connection: 'billing' })`). */
export interface NamedConnectionsOption {
  /** Named connections besides the default `connection`, by name (letters, digits, - and _; not `default`). Default none. */
  connections?: Record<string, NamedConnectionOptions>;
}
