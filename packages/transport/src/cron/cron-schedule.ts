// Recurring message schedules (ADR-51, nats-server 2.14): what a `@JetStreamCron` job asks for,
// checked when Nest registers the handler. Pure: the I/O is in cron-provisioner.ts.
//
// Measured against nats-server 2.15.1 with @nats-io/jetstream 3.4.0:
// - A schedule (`Nats-Schedule: @every 1s` or a 6-field cron, `Nats-Schedule-Target`) published to a
//   subject of its own stays stored on it and stores a new message on the target at every tick
//   (`Nats-Scheduler` = the schedule's subject, `Nats-Schedule-Next` = the next tick).
// - Publishing another schedule to the same subject replaces it (the server rolls the subject up):
//   the old spec stops ticking at once. Purging the subject cancels it.
// - A bad cron pattern is refused ("message schedules pattern is invalid"), a bad time zone too
//   (10223 "message schedules time zone is invalid"); nothing is stored.
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { describeValue } from '../errors/describe-value.js';
import { subjectProblem } from '../utils/subjects.js';
import type { CronJob } from '../interfaces/cron-job.interface.js';

export type { CronJob } from '../interfaces/cron-job.interface.js';

/** Recurring schedules (`@every`, cron, predefined, time zones) arrived in this nats-server version. */
export const RECURRING_SCHEDULES_MIN_SERVER = '2.14.0';

/** The server's named schedules. */
export const PREDEFINED_SCHEDULES = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'] as const;

/** The server refuses a shorter `@every`. */
const MIN_EVERY_MS = 1000;
const GO_DURATION_UNITS_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const GO_DURATION = /^(\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const CRON_FIELD = /^[0-9A-Za-z*?/,-]+$/;

/** What the handler of a `@JetStreamCron` job receives at every tick. */
export interface CronTick {
  /** The job's subject (its target). */
  job: string;
  schedule: string;
  timeZone?: string;
}

/** The subjects where stream `stream` keeps the recurring schedules of service `serviceName`. */
export function cronSubjectsOf(stream: string, serviceName: string): string {
  return `_sched.${stream}.cron.${serviceName}.>`;
}

/** The one schedule subject of the job whose target is `subject`: the same across replicas and restarts. */
export function cronScheduleSubject(stream: string, serviceName: string, subject: string): string {
  return `_sched.${stream}.cron.${serviceName}.${subject}`;
}

function goDurationMs(value: string): number {
  let ms = 0;
  for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * GO_DURATION_UNITS_MS[m[2]];
  return ms;
}

/** Why `schedule` is not a recurring schedule the server takes, or undefined. */
export function scheduleProblem(schedule: unknown): string | undefined {
  if (typeof schedule !== 'string' || schedule.trim() === '') return `it is ${describeValue(schedule)}`;
  if (schedule.startsWith('@every')) {
    const value = schedule.slice('@every'.length).trim();
    if (!GO_DURATION.test(value)) return `"${value}" after @every is not a duration (e.g. '@every 5m', '@every 1h30m')`;
    if (goDurationMs(value) < MIN_EVERY_MS) return `@every ${value} is shorter than the server's shortest interval, 1s`;
    return undefined;
  }
  if (schedule.startsWith('@at')) return 'a one-shot @at schedule is a publish option (deliverAt), not a cron job';
  if (schedule.startsWith('@')) {
    return (PREDEFINED_SCHEDULES as readonly string[]).includes(schedule) ? undefined : `${schedule} is not one of ${PREDEFINED_SCHEDULES.join(', ')}`;
  }
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 6) return `a cron expression has 6 fields (sec min hour day-of-month month day-of-week), this one has ${fields.length}`;
  const bad = fields.find((f) => !CRON_FIELD.test(f));
  return bad === undefined ? undefined : `its field "${bad}" is not a cron field`;
}

function timeZoneProblem(timeZone: unknown): string | undefined {
  if (typeof timeZone !== 'string' || timeZone === '') return `it is ${describeValue(timeZone)}`;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return undefined;
  } catch {
    return `"${timeZone}" is not an IANA time zone (e.g. 'Europe/Paris', 'America/Denver')`;
  }
}

/** The job of `@JetStreamCron(subject, schedule, { timeZone })` on `owner`; throws `JetStreamConfigError` naming it. */
export function resolveCronJob(subject: string, schedule: unknown, timeZone: unknown, owner: string): CronJob {
  const at = `@JetStreamCron('${subject}') on ${owner}`;
  const subjectWhy = subjectProblem(subject, false);
  if (subjectWhy)
    throw new JetStreamConfigError(`${at}: the subject ${subjectWhy}; a cron job's subject is a literal subject (no wildcards), its ticks' target.`);
  const why = scheduleProblem(schedule);
  if (why)
    throw new JetStreamConfigError(`${at}: the schedule ${why}. Use '@every 5m', a 6-field cron ('0 0 9 * * *') or one of ${PREDEFINED_SCHEDULES.join(', ')}.`);
  const job: CronJob = { schedule: (schedule as string).trim(), owner };
  if (timeZone !== undefined) {
    const tzWhy = timeZoneProblem(timeZone);
    if (tzWhy) throw new JetStreamConfigError(`${at}: timeZone ${tzWhy}.`);
    if (job.schedule.startsWith('@every'))
      throw new JetStreamConfigError(`${at}: timeZone applies to cron and predefined schedules only, not to ${job.schedule}; remove timeZone.`);
    job.timeZone = timeZone as string;
  }
  return job;
}

/** The tick a job's schedule carries: what its handler receives. */
export function cronTickOf(subject: string, job: CronJob): CronTick {
  return { job: subject, schedule: job.schedule, ...(job.timeZone !== undefined && { timeZone: job.timeZone }) };
}
