import type { ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';
import type { LoggerService } from '@nestjs/common';
import type { ProvisioningMode } from '../interfaces/jetstream-options.interface.js';
import { durablePrefix } from '../utils/subjects.js';

const why = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * A durable consumer on one of the app's streams whose name carries this service's prefix
 * (`<serviceName>__`) and that no handler of the service uses: left behind by a handler renamed
 * or removed, or by a subject that moved to another stream. On an interest or work-queue stream
 * it keeps every message it has not acked, for good.
 */
export interface LeftBehindConsumer {
  readonly stream: string;
  readonly consumer: string;
  /** Messages not delivered yet, and delivered but not acknowledged. */
  readonly pending: number;
  readonly ackPending: number;
  /** A client pulls from it or is bound to it now (an instance of an older version still running?): never pruned while it is. */
  readonly inUse: boolean;
  /** The nats CLI command that removes it. */
  readonly remove: string;
  /** The named connection whose servers hold it; undefined: the default one's. */
  readonly connection?: string;
}

/** What a look at the app's streams found: the consumers left behind, and the streams whose consumers could not be listed. */
export interface LeftBehindScan {
  readonly consumers: LeftBehindConsumer[];
  readonly unreadable: { stream: string; reason: string }[];
}

/**
 * Whether `info` is a durable of this service that no handler owns. Not one of them: a consumer
 * of another service (another prefix, or a name not derived by this library), a consumer the
 * server removes by itself when unused (an `inactive_threshold`: the consumers per instance
 * of running instances, replays, ephemerals), and a consumer a handler
 * of this service uses (`owned`: `<stream>/<name>`). A name whose rest starts with `_` is not
 * counted, so that service `a_` (`a___x`) is never taken for service `a`; the price: the old
 * durable of a handler whose subject starts with `_` is not reported either.
 */
export function isLeftBehind(stream: string, info: Pick<ConsumerInfo, 'name' | 'config'>, serviceName: string, owned: ReadonlySet<string>): boolean {
  const prefix = durablePrefix(serviceName);
  const rest = info.name.startsWith(prefix) ? info.name.slice(prefix.length) : '';
  if (rest === '' || rest.startsWith('_')) return false;
  if (!info.config.durable_name) return false;
  if ((info.config.inactive_threshold ?? 0) > 0) return false;
  return !owned.has(`${stream}/${info.name}`);
}

/** The consumers left behind on `streams` (each listed once; a stream that is gone or cannot be listed is reported, not thrown). */
export async function findLeftBehind(
  jsm: JetStreamManager,
  streams: readonly string[],
  serviceName: string,
  owned: ReadonlySet<string>,
): Promise<LeftBehindScan> {
  const consumers: LeftBehindConsumer[] = [];
  const unreadable: { stream: string; reason: string }[] = [];
  for (const stream of new Set(streams)) {
    try {
      for await (const info of jsm.consumers.list(stream)) {
        if (!isLeftBehind(stream, info, serviceName, owned)) continue;
        consumers.push({
          stream,
          consumer: info.name,
          pending: info.num_pending,
          ackPending: info.num_ack_pending,
          inUse: info.num_waiting > 0 || info.push_bound === true,
          remove: `nats consumer rm ${stream} ${info.name}`,
        });
      }
    } catch (err) {
      unreadable.push({ stream, reason: why(err) });
    }
  }
  return { consumers, unreadable };
}

/** One warning line for a consumer left behind: what it is, what it holds, and how to remove it. */
export function leftBehindMessage(c: LeftBehindConsumer, serviceName: string, mode: ProvisioningMode, prune: boolean): string {
  const holds = `it holds ${c.pending} pending and ${c.ackPending} unacknowledged message(s), and on an interest or work-queue stream it keeps them for good`;
  const inUse = c.inUse ? ' A client is pulling from it right now (an instance of an older version still running?): remove it once that instance is gone.' : '';
  const option =
    prune && mode !== 'create-or-update'
      ? `pruneConsumers removes such consumers only with provisioning 'create-or-update' (this service uses '${mode}')`
      : "or set pruneConsumers: true to have the service remove such consumers at boot (provisioning 'create-or-update')";
  return `Consumer ${c.stream}/${c.consumer} carries the prefix of service "${serviceName}" but no handler of it uses this consumer (a handler renamed or removed, or its subject now in another stream): ${holds}.${inUse} Remove it with: ${c.remove}; ${option}.`;
}

/**
 * Reports the consumers left behind, and removes those no client uses when `prune` is set in
 * `create-or-update` (never otherwise: nothing is removed by default).
 */
export async function reportLeftBehind(
  jsm: JetStreamManager,
  scan: LeftBehindScan,
  serviceName: string,
  mode: ProvisioningMode,
  prune: boolean,
  logger: LoggerService,
): Promise<void> {
  for (const { stream, reason } of scan.unreadable) {
    logger.log(
      `Could not look for consumers left behind on stream ${stream} (${reason}); allow $JS.API.CONSUMER.LIST.${stream} to this identity to have them reported.`,
    );
  }
  for (const c of scan.consumers) {
    if (prune && mode === 'create-or-update' && !c.inUse) {
      try {
        await jsm.consumers.delete(c.stream, c.consumer);
        logger.warn(
          `Removed consumer ${c.stream}/${c.consumer}, left behind by a handler service "${serviceName}" no longer has (pruneConsumers: true); it held ${c.pending} pending and ${c.ackPending} unacknowledged message(s).`,
        );
        continue;
      } catch (err) {
        logger.warn(
          `pruneConsumers could not remove consumer ${c.stream}/${c.consumer} (${why(err)}): remove it by hand, or allow $JS.API.CONSUMER.DELETE.${c.stream}.${c.consumer} to this identity.`,
        );
      }
    }
    logger.warn(leftBehindMessage(c, serviceName, mode, prune));
  }
}
