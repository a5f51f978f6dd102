import type { JetStreamManager } from '@nats-io/jetstream';
import type { LoggerService } from '@nestjs/common';
import { applyCheckpoints } from '../delivery/checkpoints.js';
import { modeOf } from '../delivery/modes.js';
import type { HandlerBinding, UnresolvedBinding } from '../bindings/handler-binding.js';
import type { JetStreamHealth } from '../health/jetstream-health.js';
import type { JetStreamServerOptions, ProvisioningMode } from '../interfaces/jetstream-options.interface.js';
import { assertDeclaredTimingSupported } from '../message-timing/timing-streams.js';
import { reportLeftBehind, type LeftBehindScan } from '../provisioning/left-behind-consumers.js';
import type { Provisioner } from '../provisioning/provisioner.js';
import { provisioningServerError } from '../provisioning/server-refusals.js';
import { checkRequestSubjects } from './request-subjects.js';
import { assertPrioritySupported } from '../priority/priority-binding.js';
import { assertCronSupported, provisionCronJobs } from '../cron/cron-provisioner.js';
import { JsonCodec } from '../codecs/json.codec.js';
import { DEFAULTS } from '../constants.js';

/**
 * At `listen()`, before any consumer runs: the handlers' bindings resolved (checkpoints, this
 * instance's own durables), the streams and consumers provisioned, consumers left behind reported
 * (and pruned, when asked), and the health check's stream created.
 */
export async function provisionBindings(p: {
  /** Undefined for a named connection's handlers: request handlers answer on the default connection only. */
  server?: object;
  jsm: JetStreamManager;
  provisioner: Provisioner;
  mode: ProvisioningMode;
  options: JetStreamServerOptions;
  pending: UnresolvedBinding[];
  instanceId: string;
  serverVersion: string;
  /** The default connection's only: the health stream and left-behind consumers are the default connection's. */
  health?: JetStreamHealth;
  scanLeftBehind?: (bindings: HandlerBinding[]) => Promise<LeftBehindScan>;
  logger: LoggerService;
}): Promise<HandlerBinding[]> {
  const { jsm, provisioner, mode, options, logger } = p;
  await applyCheckpoints(p.pending, options.checkpoints);
  // A consumer per instance belongs to this instance.
  for (const b of p.pending) if (modeOf(b).perInstance) b.durable = `${b.durable}_${p.instanceId}`;
  assertCronSupported(p.pending, p.serverVersion);
  if (mode !== 'off') assertDeclaredTimingSupported(options.streams ?? [], p.serverVersion);
  assertPrioritySupported(p.pending, p.serverVersion);
  // Before provisioning: a stream that would capture a request subject is not created or widened.
  if (p.server) await checkRequestSubjects(p.server, jsm, options, logger);
  const serviceName = options.serviceName;
  const scan = p.scanLeftBehind;
  // Consumers left behind are reported (and pruned, when asked) once the streams exist, before the handlers' consumers.
  const leftBehind =
    serviceName === undefined || scan === undefined
      ? undefined
      : async (resolved: HandlerBinding[]) => {
          await reportLeftBehind(jsm, await scan(resolved), serviceName, mode, options.pruneConsumers === true, logger);
        };
  const bindings = await provisioner.provision(options.streams ?? [], p.pending, leftBehind);
  const cron = { serviceName: options.serviceName ?? DEFAULTS.serviceName, declaredStreams: (options.streams ?? []).map((s) => s.name) };
  await provisionCronJobs({ jsm, mode, bindings, ...cron, codec: options.codec ?? new JsonCodec(), serverVersion: p.serverVersion, logger });
  const healthTarget = p.health?.storageTarget;
  if (mode === 'create-or-update' && healthTarget && p.health) {
    // The storage check's stream (health.storageWrite), so that identities that may not create streams find it there.
    const replicas = provisioner.replicasOf(
      bindings.map((b) => b.stream),
      options.streams ?? [],
    );
    await p.health.provision(replicas).catch((err: unknown) => {
      throw provisioningServerError(`create the health stream ${healthTarget.stream}`, err);
    });
  }
  return bindings;
}
