import { JETSTREAM_CRON_KEY } from '../constants.js';
import { jetStreamHandler } from '../decorators/jetstream-event.decorator.js';
import type { JetStreamEventOptions } from '../interfaces/jetstream-event-options.interface.js';

/** Options of a `@JetStreamCron` job: its handler's options (retries, dead letters…) and its time zone. */
export interface JetStreamCronOptions extends Omit<JetStreamEventOptions, 'mode'> {
  /** IANA time zone of a cron or predefined schedule (`'Europe/Paris'`). Default: UTC (the server's). */
  timeZone?: string;
}

/** @internal What the decorator writes for the server: read by cron/cron-binding.ts. */
export interface CronExtras {
  schedule: unknown;
  timeZone: unknown;
}

/**
 * A durable cron job: at `listen()` the server keeps one recurring schedule for it on the
 * nats-server (created, updated in place when `schedule` changes, cancelled when the job leaves the
 * code), which stores a tick on `subject` each time it is due; the method handles those ticks as a
 * shared handler, so each tick runs once across every replica, with retries and dead letters like
 * any `@JetStreamEvent` handler. `schedule`: `'@every 5m'`, a 6-field cron (`'0 0 9 * * *'`: sec
 * min hour day-of-month month day-of-week) or `'@daily'`, `'@hourly'`…. Needs nats-server 2.14+ and
 * a stream with `allowMsgSchedules: true` that captures `subject`; see docs/cron.md.
 */
export function JetStreamCron(subject: string, schedule: string, options: JetStreamCronOptions = {}): MethodDecorator {
  const { timeZone, ...event } = options;
  const cron: CronExtras = { schedule, timeZone };
  return jetStreamHandler(subject, event, { [JETSTREAM_CRON_KEY]: cron });
}
