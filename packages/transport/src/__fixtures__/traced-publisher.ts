// Another process for the tracing test: its own OpenTelemetry SDK, one publish, and the ids of its
// send span on stdout.
import 'reflect-metadata';
import { registerInMemoryTracing } from './otel-sdk.js';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamTracing } from '../tracing/jetstream.tracing.js';

async function main(): Promise<void> {
  const { exporter, provider } = registerInMemoryTracing();
  const client = new JetStreamClient({ connection: { servers: process.env.NATS_URL }, tracing: new JetStreamTracing() });
  const ack = await client.publish(process.env.SUBJECT ?? 'crossed.work', { from: 'another process' });
  const send = exporter.getFinishedSpans().find((s) => s.name.startsWith('send '))!;
  process.stdout.write(`${JSON.stringify({ seq: ack.seq, traceId: send.spanContext().traceId, spanId: send.spanContext().spanId })}\n`);
  await client.close();
  await provider.shutdown();
}

void main();
