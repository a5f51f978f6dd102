import type { HandlerBinding } from '../bindings/handler-binding.js';
import { DEFAULTS } from '../constants.js';
import type { JetStreamServerOptions } from '../interfaces/jetstream-options.interface.js';
import type { PermissionsPlan } from '../permissions/compute-permissions.js';
import { cronSubjectsOf } from './cron-schedule.js';

/**
 * The streams where this service's cron schedules live or may be cancelled: those of its jobs and
 * the declared streams with `allowMsgSchedules` (where a job removed from the code left one).
 */
export function cronPermissionsPlan(options: JetStreamServerOptions, bindings: readonly HandlerBinding[]): PermissionsPlan['cron'] {
  const serviceName = options.serviceName ?? DEFAULTS.serviceName;
  const streams = new Set([
    ...bindings.filter((b) => b.cron).map((b) => b.stream),
    ...(options.streams ?? []).filter((s) => s.allowMsgSchedules === true || s.extra?.allow_msg_schedules === true).map((s) => s.name),
  ]);
  return [...streams].map((stream) => ({ stream, subjects: cronSubjectsOf(stream, serviceName) }));
}
