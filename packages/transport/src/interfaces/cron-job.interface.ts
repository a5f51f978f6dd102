/** A `@JetStreamCron` job as the server is told it: resolved and checked at registration. */
export interface CronJob {
  /** The `Nats-Schedule` value: `@every 5m`, a 6-field cron (`sec min hour dom month dow`) or a predefined name. */
  schedule: string;
  /** IANA time zone of a cron or predefined schedule (the server's default is UTC). */
  timeZone?: string;
  /** `Class.method`, for messages. */
  owner: string;
}
