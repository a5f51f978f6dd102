import { modeOf, type DeliveryMode } from '../delivery/modes.js';

/**
 * The `admin` role's rights to pause and resume the app's pausable consumers, and to unpin a
 * singleton handler's consumer (`JetStreamConsumers`, the CLI's `consumers pause|resume`): API
 * subjects per durable. Pulls in a priority group use the same `MSG.NEXT` subject as any pull.
 */
export function consumerControlRules(consumers: readonly { stream: string; durable: string; mode?: DeliveryMode; singleton?: boolean }[]): string[] {
  return consumers.flatMap((c) => [
    ...(modeOf(c).pauseRefused ? [] : [`$JS.API.CONSUMER.PAUSE.${c.stream}.${c.durable}`]),
    ...(c.singleton ? [`$JS.API.CONSUMER.UNPIN.${c.stream}.${c.durable}`] : []),
  ]);
}
