import { JetStreamApiError, PubHeaders, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import type { LoggerService } from '@nestjs/common';
import type { HandlerBinding, UnresolvedBinding } from '../bindings/handler-binding.js';
import type { JetStreamCodec } from '../codecs/codec.interface.js';
import { ProvisioningError } from '../errors/provisioning.error.js';
import type { ProvisioningMode } from '../interfaces/jetstream-options.interface.js';
import { versionAtLeast } from '../utils/server-version.js';
import { subjectMatches } from '../utils/subjects.js';
import { recordCronProvisioning, type CronProvisioning } from './cron-activity.js';
import { cronScheduleSubject, cronSubjectsOf, cronTickOf, RECURRING_SCHEDULES_MIN_SERVER, type CronJob } from './cron-schedule.js';

/** The server's "wrong last sequence": another replica wrote the schedule since it was read. */
const WRONG_LAST_SEQUENCE = 10071;
/** Replicas booting together each write at most this many times before one of them wins. */
const MAX_WRITES = 5;

export type { CronProvisioning } from './cron-activity.js';

/** Refuses, before any consumer is made, cron jobs on a server without recurring schedules. */
export function assertCronSupported(pending: readonly UnresolvedBinding[], serverVersion: string): void {
  const jobs = pending.filter((b) => b.cron);
  if (jobs.length === 0 || versionAtLeast(serverVersion, RECURRING_SCHEDULES_MIN_SERVER)) return;
  const list = jobs.map((b) => `  - ${b.cron?.owner}: @JetStreamCron('${b.subject}', '${b.cron?.schedule}')`).join('\n');
  throw new ProvisioningError(
    `nats-server ${serverVersion} has no recurring message schedules (they arrived in nats-server ${RECURRING_SCHEDULES_MIN_SERVER}), so these cron jobs would never run. Upgrade nats-server to ${RECURRING_SCHEDULES_MIN_SERVER} or newer, or remove the jobs:\n${list}`,
  );
}

interface Wanted {
  binding: HandlerBinding & { cron: CronJob };
  scheduleSubject: string;
  payload: Uint8Array;
  /** `'never'` on a stream with per-message TTL: the schedule then outlives the stream's `max_age`. */
  ttl?: 'never';
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Keeps one recurring schedule per `@JetStreamCron` job on the server (after the streams and
 * consumers exist): each written only when it differs from what is stored (so a restart or a second
 * replica writes nothing), replaced in place when the job's schedule changed, and the schedules of
 * this service that no job names any more purged. Replicas booting together are ordered by the
 * server (each write expects the sequence it read). In `verify` the differences are a
 * `ProvisioningError`; in `off` nothing is read or written.
 */
export async function provisionCronJobs(p: {
  jsm: JetStreamManager;
  mode: ProvisioningMode;
  serviceName: string;
  bindings: readonly HandlerBinding[];
  /** Streams the app declares: their schedules of jobs removed from the code are cancelled too. */
  declaredStreams: readonly string[];
  codec: JetStreamCodec;
  serverVersion: string;
  logger: LoggerService;
}): Promise<CronProvisioning> {
  const done: CronProvisioning = { created: [], updated: [], unchanged: [], cancelled: [] };
  if (p.mode === 'off' || !versionAtLeast(p.serverVersion, RECURRING_SCHEDULES_MIN_SERVER)) return done;
  const infos = new Map<string, StreamInfo | undefined>();
  const info = async (stream: string) => {
    if (!infos.has(stream)) infos.set(stream, await p.jsm.streams.info(stream).catch(() => undefined));
    return infos.get(stream);
  };
  const wanted: Wanted[] = [];
  for (const b of p.bindings) {
    if (!b.cron) continue;
    const binding = b as Wanted['binding'];
    const scheduleSubject = cronScheduleSubject(b.stream, p.serviceName, b.subject);
    const cfg = (await info(b.stream))?.config;
    const fix = `declare the stream with allowMsgSchedules: true (which adds its schedule subjects, _sched.${b.stream}.>)`;
    if (cfg?.allow_msg_schedules !== true)
      throw new ProvisioningError(
        `@JetStreamCron('${b.subject}') on ${b.cron.owner}: stream ${b.stream} does not allow message schedules (allow_msg_schedules); ${fix}.`,
      );
    if (!(cfg.subjects ?? []).some((s) => subjectMatches(s, scheduleSubject)))
      throw new ProvisioningError(
        `@JetStreamCron('${b.subject}') on ${b.cron.owner}: stream ${b.stream} does not capture the job's schedule subject ${scheduleSubject}; ${fix}.`,
      );
    // The server ages a schedule out with max_age like any message, and then it never fires again.
    if ((cfg.max_age ?? 0) > 0 && cfg.allow_msg_ttl !== true)
      throw new ProvisioningError(
        `@JetStreamCron('${b.subject}') on ${b.cron.owner}: stream ${b.stream} has a max_age, after which the server would delete the job's schedule and the job would stop; declare the stream with allowMsgTtl: true as well (the schedule is then kept with Nats-TTL: never, the ticks still age out), or remove maxAge.`,
      );
    const payload = (b.codec ?? p.codec).encode(cronTickOf(b.subject, b.cron), b.subject);
    wanted.push({ binding, scheduleSubject, payload, ...(cfg.allow_msg_ttl === true && { ttl: 'never' as const }) });
  }
  const differences: string[] = [];
  for (const w of wanted) {
    const outcome = await keepSchedule(p.jsm, w, p.mode === 'verify');
    if (outcome === 'differs') differences.push(`  - ${w.binding.cron.owner}: schedule ${w.scheduleSubject} is missing or not '${w.binding.cron.schedule}'`);
    else done[outcome].push(w.binding.subject);
  }
  const streams = new Set([...p.declaredStreams, ...p.bindings.map((b) => b.stream)]);
  const keep = new Set(wanted.map((w) => w.scheduleSubject));
  for (const stream of streams) {
    if ((await info(stream))?.config.allow_msg_schedules !== true) continue;
    const { state } = await p.jsm.streams.info(stream, { subjects_filter: cronSubjectsOf(stream, p.serviceName) });
    for (const subject of Object.keys(state.subjects ?? {})) {
      if (keep.has(subject)) continue;
      if (p.mode === 'verify') {
        differences.push(`  - stream ${stream}: schedule ${subject} belongs to no @JetStreamCron job of service ${p.serviceName} any more`);
        continue;
      }
      await p.jsm.streams.purge(stream, { filter: subject });
      done.cancelled.push(subject);
      p.logger.log(`Cron: cancelled the schedule ${subject} (no @JetStreamCron job of service ${p.serviceName} names it any more)`);
    }
  }
  if (differences.length > 0)
    throw new ProvisioningError(
      `The cron schedules on the server differ from the app's @JetStreamCron jobs (provisioning is 'verify', so they are not changed). Boot once with provisioning: 'create-or-update':\n${differences.join('\n')}`,
    );
  for (const s of done.created) p.logger.log(`Cron: created the schedule of ${s}`);
  for (const s of done.updated) p.logger.log(`Cron: updated the schedule of ${s} in place`);
  recordCronProvisioning(p.serviceName, done);
  return done;
}

/** Writes the job's schedule unless it is already stored as wanted. */
async function keepSchedule(jsm: JetStreamManager, w: Wanted, verifyOnly: boolean): Promise<'created' | 'updated' | 'unchanged' | 'differs'> {
  const { binding, scheduleSubject, payload } = w;
  const js = jsm.jetstream();
  for (let attempt = 1; ; attempt++) {
    const stored = await jsm.streams.getMessage(binding.stream, { last_by_subj: scheduleSubject });
    const same =
      stored !== null &&
      stored.header?.get(PubHeaders.Schedule) === binding.cron.schedule &&
      stored.header?.get(PubHeaders.ScheduleTarget) === binding.subject &&
      (stored.header?.get(PubHeaders.ScheduleTimeZone) || undefined) === binding.cron.timeZone &&
      (stored.header?.get(PubHeaders.MessageTTL) || undefined) === w.ttl &&
      sameBytes(stored.data, payload);
    if (same) return 'unchanged';
    if (verifyOnly) return 'differs';
    try {
      await js.publish(scheduleSubject, payload, {
        schedule: {
          specification: binding.cron.schedule,
          target: binding.subject,
          ...(binding.cron.timeZone !== undefined && { timezone: binding.cron.timeZone }),
        },
        expect: { lastSubjectSequence: stored?.seq ?? 0 },
        ...(w.ttl && { ttl: w.ttl }),
      });
      return stored ? 'updated' : 'created';
    } catch (err) {
      // Another replica wrote it since the read: read again (it is most likely what this one wants).
      if (err instanceof JetStreamApiError && err.code === WRONG_LAST_SEQUENCE && attempt < MAX_WRITES) continue;
      throw new ProvisioningError(
        `@JetStreamCron('${binding.subject}') on ${binding.cron.owner}: the server refused its schedule '${binding.cron.schedule}'${binding.cron.timeZone ? ` (time zone ${binding.cron.timeZone})` : ''} on ${scheduleSubject}: ${err instanceof Error ? err.message : String(err)}`,
        [],
        { cause: err },
      );
    }
  }
}
