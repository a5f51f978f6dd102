import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { JetStreamEvent } from '../../decorators/jetstream-event.decorator.js';
import { JetStreamModule } from '../../module/jetstream.module.js';
import type { JetStreamCliApp } from '../app/cli-app.interface.js';

// The app the CLI's integration tests point `--app` at: a shared handler with its own autoscale
// threshold, one with a readiness lag threshold, one on a work-queue stream, a broadcast one, and
// a dead-letter route. CLI_TEST_NATS_URL is where a test boots it for real (the CLI never connects it).

@Controller()
class CliTestController {
  @JetStreamEvent('clitest.work', { autoscale: { lagThreshold: 25, activationLagThreshold: 5 }, maxDeliver: 2, backoff: ['50ms'] })
  work(@Payload() data: unknown) {
    return data;
  }

  @JetStreamEvent('clitest.audit', { lag: { maxPending: 40 } })
  audit() {}

  @JetStreamEvent('clitestjobs.run')
  job() {}

  @JetStreamEvent('clitest.cache', { mode: 'broadcast' })
  cache() {}
}

export const CLI_TEST_STREAMS = [
  { name: 'CLITEST', subjects: ['clitest.>'] },
  { name: 'CLITEST_JOBS', subjects: ['clitestjobs.>'], retention: 'workqueue' as const },
  { name: 'CLITEST_DLQ', subjects: ['clitestdlq.>'] },
];

export function cliTestModule(url = process.env.CLI_TEST_NATS_URL ?? 'nats://127.0.0.1:4222') {
  @Module({
    imports: [
      JetStreamModule.forRoot({
        connection: { servers: url },
        serviceName: 'clitest',
        streams: CLI_TEST_STREAMS,
        deadLetter: 'clitestdlq.{subject}',
        provisioning: 'create-or-update',
      }),
    ],
    controllers: [CliTestController],
  })
  class CliTestModule {}
  return CliTestModule;
}

const app: JetStreamCliApp = { name: 'clitest-service', module: () => cliTestModule(), publishes: ['clitest.work'] };
export default app;
