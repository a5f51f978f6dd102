// The instrumentations the observability bench compares, each against "off".
import { context, ROOT_CONTEXT, SpanKind, trace, type Context, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import type { JetStreamInstrumentation } from '@nest-jetstream/transport';
import { JetStreamMetrics } from '@nest-jetstream/transport/metrics';
import { JetStreamTracing } from '@nest-jetstream/transport/tracing';

export interface Variant {
  name: string;
  description: string;
  /** Options for a fresh server or client. */
  options(): Partial<Record<'metrics' | 'tracing', JetStreamInstrumentation>>;
  close?(): Promise<void>;
}

/** Spans are made, batched and handed over, then dropped: the SDK's cost without an exporter's I/O. */
class DroppingExporter implements SpanExporter {
  exported = 0;
  export(spans: ReadableSpan[], done: (r: { code: number }) => void): void {
    this.exported += spans.length;
    done({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The SDK's floor: one bare CONSUMER span per message (no attributes, no trace context, no
 * `context.with`), started on receipt and ended on settle. Not what JetStreamTracing does: what
 * any per-message span through this SDK costs at the least, to compare the target against.
 */
function bareSpans(provider: BasicTracerProvider): JetStreamInstrumentation {
  const tracer = provider.getTracer('bench');
  return {
    consume: {
      received: () => tracer.startSpan('process', { kind: SpanKind.CONSUMER }),
      settled: (span) => (span as Span).end(),
    },
  };
}

/**
 * The least a tracing that keeps the issue's promises must do per message: parse the headers and
 * extract the W3C parent, start a CONSUMER span under it, run the handler inside its context (so
 * the handler's own spans join the trace), end it on settle. With `attributes`, also the span
 * attributes the issue requires (the messaging semantic conventions' system, operation and
 * destination, the consumer, the message id, the stream, the sequence, the delivery count). Not
 * JetStreamTracing (no settle attribute, no error status, no exception hooks): the floor under it,
 * to tell the SDK's share of the cost from the library's.
 */
function referenceTracing(provider: BasicTracerProvider, attributes: boolean): JetStreamInstrumentation {
  const tracer = provider.getTracer('bench');
  const propagator = new W3CTraceContextPropagator();
  type Token = { span: Span; ctx: Context };
  return {
    consume: {
      received: (h, ctx) => {
        const msg = ctx.getMessage();
        const headers = msg.headers;
        const parent = headers ? propagator.extract(ROOT_CONTEXT, headers, { keys: (c) => [...c.keys()], get: (c, k) => c.get(k) || undefined }) : ROOT_CONTEXT;
        const info = attributes ? msg.info : undefined;
        const span = tracer.startSpan(
          'process',
          {
            kind: SpanKind.CONSUMER,
            attributes: info && {
              'messaging.system': 'nats',
              'messaging.operation.type': 'process',
              'messaging.destination.name': msg.subject,
              'messaging.consumer.group.name': h.durable,
              'messaging.message.id': headers?.get('Nats-Msg-Id') || undefined,
              'messaging.nats.jetstream.stream': info.stream,
              'messaging.nats.jetstream.sequence': info.streamSequence,
              'messaging.nats.jetstream.delivery_count': info.deliveryCount,
            },
          },
          parent,
        );
        return { span, ctx: trace.setSpan(parent, span) } satisfies Token;
      },
      run: <T>(token: unknown, call: () => T): T => context.with((token as Token).ctx, call),
      settled: (token) => (token as Token).span.end(),
    },
  };
}

export async function instrumentations(): Promise<Variant[]> {
  const registry = new Registry();
  const metrics = new JetStreamMetrics({ registry, pollInterval: '1h' });
  const sdk = new BasicTracerProvider({ sampler: new AlwaysOnSampler(), spanProcessors: [new BatchSpanProcessor(new DroppingExporter())] });
  // As in an app that runs the OpenTelemetry SDK: the context manager is on for the whole run, so
  // every variant pays what AsyncLocalStorage costs.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  return [
    { name: 'off', description: 'no metrics, no tracing', options: () => ({}) },
    { name: 'metrics', description: 'JetStreamMetrics (prom-client registry, polling off for the run)', options: () => ({ metrics }) },
    { name: 'tracing, no provider', description: 'JetStreamTracing with no tracer provider registered', options: () => ({ tracing: new JetStreamTracing() }) },
    {
      name: 'tracing, SDK',
      description: 'JetStreamTracing with the SDK: always-on sampler, BatchSpanProcessor, spans dropped by the exporter',
      options: () => ({ tracing: new JetStreamTracing({ tracerProvider: sdk }) }),
      close: () => sdk.shutdown(),
    },
    {
      name: 'SDK floor',
      description: 'not JetStreamTracing: one bare span per message through the same SDK (no attributes, no context), the least any per-message span costs',
      options: () => ({ tracing: bareSpans(sdk) }),
    },
    {
      name: 'SDK minimal',
      description:
        'not JetStreamTracing: the least a correct tracing does per message through the same SDK (headers parsed, W3C parent extracted, a span without attributes, the handler run in its context)',
      options: () => ({ tracing: referenceTracing(sdk, false) }),
    },
    {
      name: 'SDK required',
      description:
        "not JetStreamTracing: 'SDK minimal' plus the span attributes the issue requires (semantic conventions, stream, consumer, sequence, delivery count, message id)",
      options: () => ({ tracing: referenceTracing(sdk, true) }),
    },
  ];
}
