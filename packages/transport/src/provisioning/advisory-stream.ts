import { AckPolicy, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { DEFAULTS } from '../constants.js';
import { ProvisioningError } from '../errors/provisioning.error.js';
import type { ProvisioningMode } from '../interfaces/jetstream-options.interface.js';
import { toNanos } from '../utils/duration.js';
import { provisioningServerError } from './server-refusals.js';

/** JetStream API error: insufficient resources (a stream's new replicas not placed or current yet). */
const INSUFFICIENT_RESOURCES = 10023;

/** What `provisionAdvisoryStream` found or did. */
export interface AdvisoryStreamState {
  /** Whether it was created or changed. */
  changed: boolean;
  /** Its replicas now: fewer than asked for only in `verify` and `off`, which may not raise them. */
  replicas: number;
}

/**
 * The dead-letter safety net's stream (work queue, file storage, `replicas` copies) with the
 * advisory subjects of every dead-lettering consumer: created, or given the missing subjects and
 * replicas, in `create-or-update`; required as it is in `verify` and `off`.
 */
export async function provisionAdvisoryStream(
  jsm: JetStreamManager,
  stream: string,
  subjects: string[],
  mode: ProvisioningMode,
  replicas = 1,
): Promise<AdvisoryStreamState> {
  let info: StreamInfo | undefined = await jsm.streams.info(stream).catch((err: unknown) => {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return undefined;
    throw provisioningServerError(`read the dead-letter advisory stream ${stream}`, err);
  });
  const missing = subjects.filter((s) => !info?.config.subjects?.includes(s));
  const tooFewReplicas = info !== undefined && (info.config.num_replicas ?? 1) < replicas;
  const current = { changed: false, replicas: info?.config.num_replicas ?? 1 };
  if (missing.length === 0 && !tooFewReplicas) return current;
  if (mode !== 'create-or-update') {
    if (missing.length === 0) return current; // fewer replicas than asked for: the caller warns
    throw new ProvisioningError(
      `The dead-letter advisory stream ${stream} ${info ? `lacks subjects ${missing.join(', ')}` : 'does not exist'} (provisioning '${mode}'). Create it (work-queue retention, ${replicas} replica(s)) with subjects ${subjects.join(', ')}, or set deadLetterAdvisories: false.`,
    );
  }
  try {
    info = info
      ? await jsm.streams.update(stream, {
          ...info.config,
          subjects: [...new Set([...(info.config.subjects ?? []), ...subjects])],
          num_replicas: Math.max(info.config.num_replicas ?? 1, replicas),
        })
      : await jsm.streams.add({
          name: stream,
          subjects,
          retention: RetentionPolicy.Workqueue,
          storage: StorageType.File,
          num_replicas: replicas,
          max_age: toNanos(DEFAULTS.deadLetter.advisoryMaxAge, 'advisoryMaxAge'),
        });
  } catch (err) {
    throw provisioningServerError(`${info ? 'update' : 'create'} the dead-letter advisory stream ${stream}`, err);
  }
  return { changed: true, replicas: info.config.num_replicas ?? replicas };
}

/** The advisory consumer (explicit ack): created when missing in `create-or-update`, else a ProvisioningError. */
export async function ensureAdvisoryConsumer(jsm: JetStreamManager, stream: string, durable: string, mode: ProvisioningMode): Promise<void> {
  const exists = await jsm.consumers.info(stream, durable).then(
    () => true,
    (err: unknown) => {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return false;
      throw provisioningServerError(`read consumer ${stream}/${durable}`, err);
    },
  );
  if (exists) return;
  if (mode !== 'create-or-update') {
    throw new ProvisioningError(
      `Consumer ${stream}/${durable} does not exist (provisioning '${mode}'): create it (explicit ack), or set deadLetterAdvisories: false.`,
    );
  }
  const config = { durable_name: durable, ack_policy: AckPolicy.Explicit, ack_wait: toNanos(DEFAULTS.deadLetter.advisoryAckWait, 'advisoryAckWait') };
  // Right after the stream gained replicas the new peers may still be catching up: the server
  // answers "insufficient resources" for a few seconds.
  for (let attempt = 1; ; attempt++) {
    try {
      await jsm.consumers.add(stream, config);
      return;
    } catch (err) {
      const catchingUp = err instanceof JetStreamApiError && err.code === INSUFFICIENT_RESOURCES;
      if (!catchingUp || attempt >= 20) throw provisioningServerError(`create consumer ${stream}/${durable}`, err);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
