import { join } from 'node:path';
import { Controller, Module } from '@nestjs/common';
import { registerInMemoryTracing } from '../__fixtures__/otel-sdk.js';
import { NdjsonProcess, waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamTracing } from './jetstream.tracing.js';

// A trace crosses two processes through the stream: the publisher's send span (another process,
// its own SDK) is the parent of this process's span for the message.

const { exporter, provider } = registerInMemoryTracing();

@Controller()
class CrossedController {
  @JetStreamEvent('crossed.work')
  work() {}
}

@Module({ controllers: [CrossedController] })
class CrossedModule {}

describe('a trace across two processes (real nats-server, two OpenTelemetry SDKs)', () => {
  const h = new Harness();
  const stream = uniqueName('CROSSED');

  beforeAll(async () => {
    await h.start();
    await h.app(CrossedModule, { serviceName: 'crossed', streams: [{ name: stream, subjects: ['crossed.>'] }], tracing: new JetStreamTracing() });
  });
  afterAll(async () => {
    await h.stop();
    await provider.shutdown();
  });

  it("continues the publisher's trace in the consumer's process", async () => {
    const fixture = join(__dirname, '..', '__fixtures__', 'traced-publisher.ts');
    const register = join(__dirname, '../../../../scripts/register.cjs');
    const publisher = NdjsonProcess.spawn<{ seq: number; traceId: string; spanId: string }>(process.execPath, ['-r', register, fixture], {
      env: { ...process.env, NATS_URL: h.server.url },
    });
    const exit = await publisher.exited;
    if (exit.code !== 0) throw new Error(`publisher exited with code ${exit.code}, signal ${exit.signal}:\n${publisher.describe()}`);
    const published = publisher.lines.at(-1)!;
    const processSpan = await waitFor('the process span', () =>
      exporter.getFinishedSpans().find((s) => s.name === 'process crossed.work' && s.attributes['messaging.nats.jetstream.sequence'] === published.seq),
    );
    expect(processSpan.spanContext().traceId).toBe(published.traceId);
    expect(processSpan.parentSpanContext?.spanId).toBe(published.spanId);
  });
});
