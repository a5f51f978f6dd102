import { AckPolicy, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { DEFAULTS } from '../constants.js';
import { ProvisioningError } from '../errors/provisioning.error.js';
import type { ProvisioningMode } from '../interfaces/jetstream-options.interface.js';
import { toNanos } from '../utils/duration.js';
import { provisioningServerError } from './provisioner.js';

/**
 * The dead-letter safety net's stream (work queue, file storage) with the advisory subjects of
 * every dead-lettering consumer: created or given the missing subjects in `create-or-update`,
 * required as it is in `verify` and `off`. Returns whether it was created or changed.
 */
export async function provisionAdvisoryStream(jsm: JetStreamManager, stream: string, subjects: string[], mode: ProvisioningMode): Promise<boolean> {
  let info: StreamInfo | undefined = await jsm.streams.info(stream).catch((err: unknown) => {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return undefined;
    throw provisioningServerError(`read the dead-letter advisory stream ${stream}`, err);
  });
  const missing = subjects.filter((s) => !info?.config.subjects?.includes(s));
  if (missing.length === 0) return false;
  if (mode !== 'create-or-update') {
    throw new ProvisioningError(
      `The dead-letter advisory stream ${stream} ${info ? `lacks subjects ${missing.join(', ')}` : 'does not exist'} (provisioning '${mode}'). Create it (work-queue retention) with subjects ${subjects.join(', ')}, or set deadLetterAdvisories: false.`,
    );
  }
  try {
    info = info
      ? await jsm.streams.update(stream, { subjects: [...new Set([...(info.config.subjects ?? []), ...subjects])] })
      : await jsm.streams.add({
          name: stream,
          subjects,
          retention: RetentionPolicy.Workqueue,
          storage: StorageType.File,
          max_age: toNanos(DEFAULTS.deadLetter.advisoryMaxAge, 'advisoryMaxAge'),
        });
  } catch (err) {
    throw provisioningServerError(`${info ? 'update' : 'create'} the dead-letter advisory stream ${stream}`, err);
  }
  return true;
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
    throw new ProvisioningError(`Consumer ${stream}/${durable} does not exist (provisioning '${mode}'): create it (explicit ack), or set deadLetterAdvisories: false.`);
  }
  await jsm.consumers
    .add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, ack_wait: toNanos(DEFAULTS.deadLetter.advisoryAckWait, 'advisoryAckWait') })
    .catch((err: unknown) => {
      throw provisioningServerError(`create consumer ${stream}/${durable}`, err);
    });
}
