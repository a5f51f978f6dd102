import type { StreamConfig } from '@nats-io/jetstream';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { ProvisioningError } from '../errors/provisioning.error.js';
import type { StreamDeclaration } from '../interfaces/jetstream-options.interface.js';
import { describeValue } from '../errors/describe-value.js';
import { versionAtLeast } from '../utils/server-version.js';
import { ATOMIC_BATCH_MIN_SERVER, FAST_BATCH_MIN_SERVER } from '../utils/batch-limits.js';
import { MESSAGE_SCHEDULES_MIN_SERVER, MESSAGE_TTL_MIN_SERVER, scheduleSubjectsOf } from './timing-options.js';

function flag(decl: StreamDeclaration, option: 'allowMsgTtl' | 'allowMsgSchedules', at: string): boolean {
  const value = decl[option];
  if (value !== undefined && typeof value !== 'boolean') throw new JetStreamConfigError(`${at}.${option} is ${describeValue(value)}; use true or false.`);
  return value === true;
}

/**
 * The server fields of `allowMsgTtl` and `allowMsgSchedules` (only when true: false leaves the
 * server's setting alone, which cannot be turned off anyway). Schedules also get the stream's
 * schedule subjects and `allow_rollup_hdrs`, which the server turns on with them.
 */
export function timingStreamConfig(decl: StreamDeclaration, at: string): Partial<StreamConfig> {
  const cfg: Partial<StreamConfig> = {};
  if (flag(decl, 'allowMsgTtl', at)) cfg.allow_msg_ttl = true;
  if (flag(decl, 'allowMsgSchedules', at)) {
    const why =
      decl.retention === 'interest'
        ? 'interest retention drops a schedule at once (no consumer reads its subject), so it would never fire; use limits or workqueue retention'
        : decl.allowRollup === false
          ? 'the server turns allow_rollup_hdrs on with schedules (one schedule per subject); remove allowRollup: false'
          : decl.denyPurge === true
            ? 'the server turns deny_purge off with schedules (a fired schedule is purged); remove denyPurge: true'
            : undefined;
    if (why) throw new JetStreamConfigError(`${at}.allowMsgSchedules cannot be used here: ${why}.`);
    cfg.allow_msg_schedules = true;
    cfg.allow_rollup_hdrs = true;
    cfg.subjects = [...decl.subjects, scheduleSubjectsOf(decl.name)];
  }
  return cfg;
}

/**
 * Refuses, at boot, declared streams that ask for per-message TTL or schedules on a server too old
 * for them: 2.9 and 2.10 would drop the settings without a word and then keep every message.
 */
export function assertDeclaredTimingSupported(streams: readonly StreamDeclaration[], serverVersion: string): void {
  const problems: string[] = [];
  for (const s of streams) {
    const asks = [
      {
        on: s.allowMsgTtl === true || s.extra?.allow_msg_ttl === true,
        option: 'allowMsgTtl',
        field: 'allow_msg_ttl',
        feature: 'per-message TTL',
        min: MESSAGE_TTL_MIN_SERVER,
      },
      {
        on: s.allowMsgSchedules === true || s.extra?.allow_msg_schedules === true,
        option: 'allowMsgSchedules',
        field: 'allow_msg_schedules',
        feature: 'message schedules',
        min: MESSAGE_SCHEDULES_MIN_SERVER,
      },
      {
        on: s.allowAtomic === true || s.extra?.allow_atomic === true,
        option: 'allowAtomic',
        field: 'allow_atomic',
        feature: 'atomic batch publish',
        min: ATOMIC_BATCH_MIN_SERVER,
      },
      {
        on: s.allowBatched === true || s.extra?.allow_batched === true,
        option: 'allowBatched',
        field: 'allow_batched',
        feature: 'fast-ingest batches',
        min: FAST_BATCH_MIN_SERVER,
      },
    ];
    for (const a of asks) {
      if (a.on && !versionAtLeast(serverVersion, a.min))
        problems.push(`  - stream ${s.name}: ${a.option} (${a.field}, ${a.feature}) needs nats-server ${a.min} or newer`);
    }
  }
  if (problems.length === 0) return;
  throw new ProvisioningError(
    `nats-server ${serverVersion} cannot provide what these stream declarations ask for (it would drop the settings without a word and keep every message). Upgrade nats-server, or remove the setting from the declaration:\n${problems.join('\n')}`,
  );
}
