import type { JetStreamClient } from '@nats-io/jetstream';
import type { LoggerService } from '@nestjs/common';
import type { JetStreamCodec } from '../codecs/codec.interface.js';
import type { RunnerHost } from '../consuming/consumer-runner.js';
import type { DeadLetterRoute } from '../consuming/attempt/attempt-wiring.js';
import type { ProcessingHooks } from '../consuming/processing-hooks.js';
import type { DeadLetterLostEvent, TerminatedMessageEvent } from '../events/settle.events.js';
import type { ConsumeObserver } from '../observability/instrumentation.interface.js';
import type { Provisioner } from '../provisioning/provisioner.js';
import { settleReporter } from './settle-reports.js';

/** What a server hands its runners at `listen()`, gathered in one object (no member of the server is called back). */
export interface RunnerWiringParts {
  logger: LoggerService;
  codec: JetStreamCodec;
  termReasonSupported: boolean;
  redact: (text: string) => string;
  deadLetters?: DeadLetterRoute;
  emit: { terminated(event: TerminatedMessageEvent): void; deadLetterLost(event: DeadLetterLostEvent): void };
  advisoriesOn: boolean;
  consumeObserver?: ConsumeObserver;
  processingHooks?: ProcessingHooks;
  js: JetStreamClient;
  provisioner: Provisioner;
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
    reporter: settleReporter(p.logger, p.emit, p.advisoriesOn),
    consumeObserver: p.consumeObserver,
    processingHooks: p.processingHooks,
    consumerFor: async (binding, recreate, resumeFrom) => {
      if (recreate) await provisioner.recreateConsumer(binding, resumeFrom);
      return binding.mode === 'push' ? js.consumers.getPushConsumer(binding.stream, binding.durable) : js.consumers.get(binding.stream, binding.durable);
    },
  };
}
