import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamTermError } from '../errors/handler.errors.js';
import { JetStreamServer } from './jetstream.server.js';

// Every event the library logs is one line, with its context, through Nest's real ConsoleLogger
// (a context-carrying Logger handed the context again printed "undefined" and a second line).

@Controller()
class LoggingController {
  @JetStreamEvent('logging.flaky', { maxDeliver: 2, backoff: ['50ms'] })
  flaky(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    if (ctx.getInfo().deliveryCount === 1) throw new Error('first attempt fails');
  }

  @JetStreamEvent('logging.poison')
  poison() {
    throw new JetStreamTermError('never valid');
  }
}

@Module({ controllers: [LoggingController] })
class LoggingModule {}

describe('log lines (real nats-server, Nest ConsoleLogger)', () => {
  const h = new Harness();
  const stream = uniqueName('LOGGING');
  const lines: string[] = [];
  const writes: [NodeJS.WriteStream, NodeJS.WriteStream['write']][] = [];

  beforeAll(async () => {
    await h.start();
    for (const out of [process.stdout, process.stderr]) {
      const original = out.write.bind(out);
      writes.push([out, out.write]);
      out.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
        lines.push(
          ...String(chunk)
            // eslint-disable-next-line no-control-regex
            .replace(/\x1b\[[0-9;]*m/g, '')
            .split('\n')
            .filter((l) => l.trim()),
        );
        return original(chunk, ...rest);
      }) as NodeJS.WriteStream['write'];
    }
  });
  afterAll(async () => {
    for (const [out, write] of writes) out.write = write;
    await h.stop();
  });

  it('prints each warning and error once, on one line, with its context', async () => {
    const strategy = new JetStreamServer({
      connection: { servers: h.server.url },
      serviceName: 'logging',
      streams: [{ name: stream, subjects: ['logging.>'] }],
    });
    const app = await NestFactory.createMicroservice(LoggingModule, { strategy, logger: ['error', 'warn', 'log'] });
    await app.listen();
    try {
      const flaky = await h.js.publish('logging.flaky', '{}');
      const poison = await h.js.publish('logging.poison', '{}');
      await waitFor(
        'the redelivery warning and the term error',
        () => lines.some((l) => l.includes(`seq ${flaky.seq}); redelivery in 50 ms`)) && lines.some((l) => l.includes(`Terminated message ${poison.seq} `)),
      );
    } finally {
      await app.close();
    }
    const ours = lines.filter((l) => /\[JetStream(Server|Provisioning|DeadLetters)\]/.test(l));
    expect(lines.filter((l) => l.includes('redelivery in 50 ms'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('Terminated message'))).toHaveLength(1);
    expect(lines.filter((l) => /\] undefined$/.test(l))).toEqual([]);
    expect(lines.filter((l) => /^(JetStreamServer|JetStreamProvisioning|JetStreamDeadLetters)$/.test(l.trim()))).toEqual([]);
    for (const line of ours) expect(line).toMatch(/^\[Nest\] \d+ {2}- .* (LOG|WARN|ERROR) \[JetStream\w+\] \S/);
  });
});
