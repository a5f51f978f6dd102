import { ConsumerFeatureUnsupportedError } from '../errors/consumer-feature.error.js';
import { versionAtLeast } from '../utils/server-version.js';

/** The consumer features that need a newer server than the oldest supported (2.9.10), with the version that brought each. */
export const CONSUMER_FEATURES = {
  pause: { name: 'consumer pause (pause_until)', minServer: '2.11.0' },
  singleton: { name: 'singleton handlers (priority policy pinned_client)', minServer: '2.11.0' },
  overflow: { name: 'overflow handlers (priority policy overflow)', minServer: '2.11.0' },
} as const;

export type ConsumerFeature = keyof typeof CONSUMER_FEATURES;

/**
 * Throws `ConsumerFeatureUnsupportedError` when the connected server is older than `feature`
 * needs: 2.9 and 2.10 drop `pause_until` without a word, so the version decides before anything
 * is sent.
 */
export function assertConsumerFeature(feature: ConsumerFeature, serverVersion: string, usedBy: string): void {
  const { name, minServer } = CONSUMER_FEATURES[feature];
  if (!versionAtLeast(serverVersion, minServer)) throw new ConsumerFeatureUnsupportedError(name, serverVersion, minServer, usedBy);
}
