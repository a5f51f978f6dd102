import type { HandlerBinding } from '../../bindings/handler-binding.js';
import { DEFAULTS } from '../../constants.js';
import { ADVISORY_DURABLE, advisoryStreamName, advisorySubjects } from '../../dead-letter/advisory-watcher.js';
import { modeOf } from '../../delivery/modes.js';
import { healthSubject } from '../../health/health-checks.js';
import { kvBucketsOf } from '../../idempotency/kv-permissions.js';
import type { PermissionsPlan } from '../../permissions/compute-permissions.js';
import { deadLetterSubjectsOf, streamsUsed } from '../../server/server-facts.js';
import { subjectMatches } from '../../utils/subjects.js';
import type { LoadedApp } from './app-loader.js';
import { requireStreamOf } from './app-streams.js';

/** A service's name as the library puts it in stream names (`<NAME>_DEAD_LETTERS`, `<NAME>_HEALTH`...). */
const streamPrefix = (serviceName: string) => serviceName.toUpperCase().replace(/[^A-Z0-9_-]/g, '_');

/**
 * What `JetStreamServer.permissionsPlan()` computes at run time, computed from the app's module
 * alone (no connection): every handler's stream must then be declared (or named by the handler).
 * A dead-letter subject no declared stream captures lands in `<SERVICE>_DEAD_LETTERS`, the stream
 * provisioning makes for it.
 */
export async function permissionsPlanOf(app: LoadedApp): Promise<PermissionsPlan> {
  const { options, serviceName } = app;
  const declared = options.streams ?? [];
  const bindings: HandlerBinding[] = [];
  for (const handler of app.handlers) bindings.push({ ...handler.binding, stream: await requireStreamOf(app, handler) });
  const deadLetterSubjects = deadLetterSubjectsOf(bindings);
  const deadLetterStreams = new Set<string>();
  for (const subject of deadLetterSubjects) {
    deadLetterStreams.add(declared.find((d) => d.subjects.some((s) => subjectMatches(s, subject)))?.name ?? `${streamPrefix(serviceName)}_DEAD_LETTERS`);
  }
  const watched = bindings.filter((b) => b.deadLetter && modeOf(b).advisoryWatched);
  const advisories = options.deadLetterAdvisories ?? true;
  const health =
    options.health?.storageWrite === true
      ? { stream: options.health.stream ?? `${streamPrefix(serviceName)}_HEALTH`, subject: healthSubject(serviceName) }
      : undefined;
  return {
    streams: streamsUsed(options, bindings),
    consumers: bindings.map((b) => ({ stream: b.stream, durable: b.durable, mode: b.mode })),
    deadLetterSubjects,
    deadLetterStreams: [...deadLetterStreams],
    advisory:
      advisories !== false && watched.length > 0
        ? { stream: advisoryStreamName(serviceName ?? DEFAULTS.serviceName), durable: ADVISORY_DURABLE, subjects: advisorySubjects(watched) }
        : undefined,
    health,
    publishes: [...(app.spec.publishes ?? [])],
    leaderAdvisories: options.metrics !== undefined,
    // A KV idempotency store's bucket: its name is asked of the server through the bucket the app opened.
    kvBuckets: await kvBucketsOf(options.idempotency?.store),
    inboxPrefix: options.connection?.inboxPrefix,
  };
}
