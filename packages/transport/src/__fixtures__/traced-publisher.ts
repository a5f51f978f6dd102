// Another process for the tracing test: its own OpenTelemetry SDK, one publish, and the ids of its
// send span on stdout.
import 'reflect-metadata';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamTracing } from '../tracing/jetstream.tracing.js';

async function main(): Promise<void> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  const client = new JetStreamClient({ connection: { servers: process.env.NATS_URL }, tracing: new JetStreamTracing() });
  const ack = await client.publish(process.env.SUBJECT ?? 'crossed.work', { from: 'another process' });
  const send = exporter.getFinishedSpans().find((s) => s.name.startsWith('send '))!;
  process.stdout.write(`${JSON.stringify({ seq: ack.seq, traceId: send.spanContext().traceId, spanId: send.spanContext().spanId })}\n`);
  await client.close();
  await provider.shutdown();
}

void main();
