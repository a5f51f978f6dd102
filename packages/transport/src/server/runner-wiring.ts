import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { HandlerBinding } from '../bindings/handler-binding.js';
import { createRunner, type HandlerRunner } from '../consuming/runners.js';
import { modeOf } from '../delivery/modes.js';
import type { LoggerService } from '@nestjs/common';
import type { JetStreamCodec } from '../codecs/codec.interface.js';
import type { RunnerHost } from '../consuming/consumer-runner.js';
import type { DeadLetterRoute } from '../consuming/attempt/attempt-wiring.js';
import type { ProcessingHooks } from '../consuming/processing-hooks.js';
import type { DeadLetterEvent, DeadLetterLostEvent, TerminatedMessageEvent } from '../events/settle.events.js';
import type { AdvisoryWatcher } from '../dead-letter/advisory-watcher.js';
import { startIdempotency } from '../idempotency/idempotency-runtime.js';
import { startDeadLettering } from './dead-letter-setup.js';
import type { ConsumeObserver } from '../observability/instrumentation.interface.js';
import type { LeaderGuard } from '../connection/leader-guard.js';
import type { LeaderWatch } from '../consuming/leader-watch.js';
import type { Provisioner } from '../provisioning/provisioner.js';
import { settleReporter } from './settle-reports.js';

/** What a server hands its runners at `listen()`, gathered in one object (no member of the server is called back). */
export interface RunnerWiringParts {
  logger: LoggerService;
  codec: JetStreamCodec;
  termReasonSupported: boolean;
  redact: (text: string) => string;
  deadLetters?: DeadLetterRoute;
  emit: { terminated(event: TerminatedMessageEvent): void; deadLetter(event: DeadLetterEvent): void; deadLetterLost(event: DeadLetterLostEvent): void };
  advisoriesOn: boolean;
  consumeObserver?: ConsumeObserver;
  processingHooks?: ProcessingHooks;
  js: JetStreamClient;
  provisioner: Provisioner;
  leaderGuard?: LeaderGuard;
  leaderWatch?: LeaderWatch;
}

/** The wiring of every runner of a server (its attempt pipeline's, and where its consumer is). */
export function runnerWiring(p: RunnerWiringParts): RunnerHost {
  const { js, provisioner } = p;
  return {
    logger: p.logger,
    codec: p.codec,
    termReasonSupported: p.termReasonSupported,
    redact: p.redact,
    deadLetters: p.deadLetters,
    reporter: settleReporter(p.logger, p.emit, p.advisoriesOn, p.redact),
    consumeObserver: p.consumeObserver,
    processingHooks: p.processingHooks,
    leaderGuard: p.leaderGuard,
    leaderWatch: p.leaderWatch,
    consumerFor: async (binding, recreate, resumeFrom) => {
      if (recreate) await provisioner.recreateConsumer(binding, resumeFrom);
      return modeOf(binding).delivery === 'queue-group'
        ? js.consumers.getPushConsumer(binding.stream, binding.durable)
        : js.consumers.get(binding.stream, binding.durable);
    },
  };
}

/** Starts a runner for each binding, one after the other, into `runners` (those started are there to close when one fails), and says how each handler is consumed. */
export async function startRunners(
  runners: HandlerRunner[],
  bindings: readonly HandlerBinding[],
  wiring: RunnerHost,
  js: JetStreamClient,
  jsm: JetStreamManager,
  logger: LoggerService,
): Promise<void> {
  for (const b of bindings) {
    const runner = createRunner(b, wiring, js, jsm);
    await runner.start();
    runners.push(runner);
    const via =
      b.invocation === 'direct' ? `called directly${b.enhancers ? ` with its ${b.enhancers}` : ''}` : `through Nest's pipeline: ${b.pipelineReason ?? ''}`;
    logger.log(`Consuming "${b.subject}" from ${b.stream} as ${modeOf(b).describe(b.durable)} (concurrency ${b.concurrency}; ${via})`);
  }
}

/** What `startConsuming` started, filled in as it goes: what it started before a failure is there to close. */
export interface Consuming {
  readonly runners: HandlerRunner[];
  advisories?: AdvisoryWatcher;
  stopIdempotency?: () => void;
  wiring?: RunnerHost;
}

/**
 * After provisioning: the dead-letter router and advisory safety net, the idempotency keys'
 * pruning, the runners' wiring (nothing in it goes back through a member of the server), and a
 * runner per binding.
 */
export async function startConsuming(
  into: Consuming,
  bindings: HandlerBinding[],
  p: Omit<RunnerWiringParts, 'deadLetters' | 'advisoriesOn'> & Omit<Parameters<typeof startDeadLettering>[1], 'redact' | 'emit'> & { jsm: JetStreamManager },
): Promise<void> {
  const started = await startDeadLettering(bindings, p);
  into.advisories = started.advisories;
  into.stopIdempotency = await startIdempotency(p.options.idempotency, bindings, p.logger);
  into.wiring = runnerWiring({ ...p, deadLetters: started.router, advisoriesOn: started.advisories !== undefined });
  await startRunners(into.runners, bindings, into.wiring, p.js, p.jsm, p.logger);
}
