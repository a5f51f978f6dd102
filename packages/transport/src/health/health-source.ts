import type { JetStreamManager } from '@nats-io/jetstream';
import type { PinState } from '../interfaces/priority-options.interface.js';
import type { NatsConnection } from '@nats-io/nats-core';
import type { JetStreamStatus } from '../connection/connection-events.js';
import type { ProvisioningMode } from '../interfaces/jetstream-options.interface.js';
import type { LagThresholds } from './health.types.js';
import type { LeftBehindScan } from '../provisioning/left-behind-consumers.js';
import type { ConnectionsReport } from '../connections/connection-registry.js';

/** The handlers of one named connection, as the readiness check sees them. */
export interface NamedHandlersHealth {
  readonly connection: string;
  readonly critical: boolean;
  readonly jsm?: JetStreamManager;
  readonly subjects: readonly string[];
}

/** What the health checks read of a server or a client, live. */
export interface HealthSource {
  /** `JetStreamServer` or `JetStreamClient`, for messages. */
  readonly who: string;
  /** Removes the connection's credentials from every message and detail of a report. */
  readonly redact: (text: string) => string;
  readonly serviceName: string;
  readonly provisioning: ProvisioningMode;
  connection(): { nc: NatsConnection; jsm: JetStreamManager } | undefined;
  status(): JetStreamStatus | undefined;
  /** Why the connection closed by itself, if it did. */
  closedReason(): Error | undefined;
  /** Why there is no connection yet, when it is not a fault of NATS (a server the app never started). */
  notStarted?(): string | undefined;
  /** The consumers bound (a server's handlers); none for a client. */
  consumers(): readonly {
    stream: string;
    durable: string;
    subject: string;
    lag?: LagThresholds;
    stoppedAt?: { streamSequence: number; reason: string };
    pin?: PinState;
    /** The named connection its consumer is on; undefined: the default one. */
    connection?: string;
  }[];
  /**
   * The named connections that have handlers: whether each is critical, its JetStream once it is
   * up and its handlers started (undefined until then), and its handlers' subjects (a server's).
   */
  namedHandlers?(): readonly NamedHandlersHealth[];
  /** The streams the app declares or consumes, with their declared replicas. */
  streams(): readonly { name: string; replicas?: number }[];
  /** Dead-letter subjects of the handlers, and those no stream captured at boot. */
  deadLetterSubjects(): readonly string[];
  missingDeadLetterSubjects(): readonly string[];
  /** The named connections' report (a client with the `connections` option); undefined without any. */
  namedConnections?(): ConnectionsReport | undefined;
  /** The service's durables on its streams that no handler uses (a server's; none for a client). */
  leftBehind?(): Promise<LeftBehindScan>;
  /** The consumers (`stream/durable`) whose last check found no leader, and for how long (a server's; none for a client). */
  waitingForLeader?(): readonly { consumer: string; forMs: number }[];
}
