import { JETSTREAM_CLASS_KEY, JETSTREAM_CRON_KEY, JETSTREAM_METHOD_KEY } from '../constants.js';
import type { UnresolvedBinding } from '../bindings/handler-binding.js';
import { modeOf } from '../delivery/modes.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { CronExtras } from './jetstream-cron.decorator.js';
import { resolveCronJob, type CronJob } from './cron-schedule.js';

/**
 * The cron job of a handler Nest offered (undefined for a plain handler), checked at registration:
 * a bad schedule or time zone is a boot error naming `Class.method`. A job runs on a shared
 * consumer only: a consumer per instance would run every tick on every replica.
 */
export function cronJobOf(binding: UnresolvedBinding, extras: Record<string, unknown>): CronJob | undefined {
  const cron = extras[JETSTREAM_CRON_KEY] as CronExtras | undefined;
  if (!cron) return undefined;
  const owner = [extras[JETSTREAM_CLASS_KEY], extras[JETSTREAM_METHOD_KEY]].filter((n) => typeof n === 'string').join('.') || binding.subject;
  if (modeOf(binding).perInstance) {
    throw new JetStreamConfigError(
      `@JetStreamCron('${binding.subject}') on ${owner}: consumerDefaults.mode '${binding.mode}' gives every instance its own consumer, so every replica would run every tick. A cron job runs on a shared consumer: set mode: 'durable' in consumerDefaults, or keep the default.`,
    );
  }
  return resolveCronJob(binding.subject, cron.schedule, cron.timeZone, owner);
}
