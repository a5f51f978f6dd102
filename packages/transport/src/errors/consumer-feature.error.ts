import { JetStreamErrorCode, JetStreamTransportError } from './jetstream-transport.error.js';

/** A consumer feature that needs a newer nats-server than the one connected: pause, priority groups. */
export class ConsumerFeatureUnsupportedError extends JetStreamTransportError {
  constructor(
    /** The feature, as the docs name it (`consumer pause`, `singleton handlers (priority policy pinned_client)`). */
    readonly feature: string,
    /** The connected server's version (`nc.info.version`). */
    readonly serverVersion: string,
    /** The oldest nats-server with the feature. */
    readonly minServerVersion: string,
    /** What asked for it: a handler's subject or a call. */
    readonly usedBy: string,
  ) {
    super(
      JetStreamErrorCode.ConsumerFeatureUnsupported,
      `${usedBy} needs ${feature}, which arrived in nats-server ${minServerVersion}; the connected server is ${serverVersion}. Upgrade every server of the cluster to ${minServerVersion} or newer, or remove the option (nothing falls back silently).`,
    );
    this.name = 'ConsumerFeatureUnsupportedError';
  }
}
