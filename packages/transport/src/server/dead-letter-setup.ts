import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { HandlerBinding } from '../bindings/handler-binding.js';
import { DEFAULTS } from '../constants.js';
import { modeOf } from '../delivery/modes.js';
import { AdvisoryWatcher, advisoryStreamName } from '../dead-letter/advisory-watcher.js';
import { DeadLetterRouter } from '../dead-letter/dead-letter.router.js';
import type { DeadLetterEvent, DeadLetterLostEvent } from '../events/settle.events.js';
import type { JetStreamServerOptions, ProvisioningMode } from '../interfaces/jetstream-options.interface.js';
import type { Provisioner } from '../provisioning/provisioner.js';
import { Publisher, type PublisherDefaults } from '../publishing/publisher.js';

/** What a server starts for its handlers' dead-letter routes. */
export interface DeadLettering {
  /** Handed to the runners; undefined when no handler has a route. */
  router?: DeadLetterRouter;
  /** The advisory safety net, when it watches anything. */
  advisories?: AdvisoryWatcher;
}

/**
 * The dead-letter router (when a handler has a route) and the advisory safety net over the
 * durables the service shares: a per-instance consumer's advisories would reach another instance,
 * and its name changes every boot.
 */
export async function startDeadLettering(
  bindings: readonly HandlerBinding[],
  deps: {
    js: JetStreamClient;
    jsm: JetStreamManager;
    options: JetStreamServerOptions;
    mode: ProvisioningMode;
    provisioner: Provisioner;
    publish: PublisherDefaults;
    publishObserver: ConstructorParameters<typeof Publisher>[3];
    redact: (text: string) => string;
    emit: { deadLetter(event: DeadLetterEvent): void; deadLetterLost(event: DeadLetterLostEvent): void };
  },
): Promise<DeadLettering> {
  const deadLettering = bindings.filter((b) => b.deadLetter);
  if (deadLettering.length === 0) return {};
  const { js, jsm, options, emit } = deps;
  const router = new DeadLetterRouter(new Publisher(js, jsm, deps.publish, deps.publishObserver), emit.deadLetter, deps.redact);
  const advisories = options.deadLetterAdvisories ?? true;
  const watched = deadLettering.filter((b) => modeOf(b).advisoryWatched);
  if (advisories === false || watched.length === 0) return { router };
  const stream = advisoryStreamName(options.serviceName ?? DEFAULTS.serviceName);
  // The safety net must survive what the streams it protects survive: at least their replicas.
  const replicas =
    (advisories === true ? undefined : advisories.replicas) ??
    deps.provisioner.replicasOf(
      watched.map((b) => b.stream),
      options.streams ?? [],
    );
  const watcher = new AdvisoryWatcher(stream, watched, js, jsm, router, emit.deadLetterLost, deps.redact);
  await watcher.start(deps.mode, replicas);
  return { router, advisories: watcher };
}
