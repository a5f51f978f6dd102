import { modeOf, type DeliveryMode } from '../delivery/modes.js';

/**
 * The `admin` role's rights to pause and resume the app's pausable consumers
 * (`JetStreamConsumers`, the CLI's `consumers pause|resume`): one API subject per durable.
 */
export function consumerControlRules(consumers: readonly { stream: string; durable: string; mode?: DeliveryMode }[]): string[] {
  return consumers.filter((c) => !modeOf(c).pauseRefused).map((c) => `$JS.API.CONSUMER.PAUSE.${c.stream}.${c.durable}`);
}
