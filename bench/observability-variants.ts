// The instrumentations the observability bench compares, each against "off".
import { context, SpanKind, type Span } from '@opentelemetry/api';
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
  ];
}
