import { Registry } from 'prom-client';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { JetStreamMetrics } from '../metrics/jetstream.metrics.js';
import type { JetStreamMetricsOptions } from '../metrics/jetstream.metrics.js';
import { JetStreamTracing } from '../tracing/jetstream.tracing.js';
import type { JetStreamTracingOptions } from '../tracing/jetstream.tracing.js';

const metrics = (options: Record<string, unknown>) => () => new JetStreamMetrics(options as JetStreamMetricsOptions);
const tracing = (options: Record<string, unknown>) => () => new JetStreamTracing(options as JetStreamTracingOptions);

describe('metrics and tracing options, checked by their constructors', () => {
  it('new JetStreamMetrics refuses an unknown key with the nearest name, and bad values naming them', () => {
    expect(metrics({ pollIntervall: '5s' })).toThrow(JetStreamConfigError);
    expect(metrics({ pollIntervall: '5s' })).toThrow(/^JetStreamMetrics: unknown option "pollIntervall" \(did you mean "pollInterval"\?\)/);
    expect(metrics({ pollInterval: 0 })).toThrow(/JetStreamMetrics: pollInterval must be more than 0/);
    expect(metrics({ buckets: [0.1, 0.05] })).toThrow(/JetStreamMetrics: buckets must be increasing numbers of seconds above 0/);
    expect(metrics({ prefix: 'my-app_' })).toThrow(/JetStreamMetrics: prefix must be a Prometheus metric name prefix/);
    expect(metrics({ registry: {} })).toThrow(/JetStreamMetrics: registry must have registerMetric\(\) and getSingleMetric\(\)/);
    expect(metrics({ registry: new Registry(), prefix: 'billing_', pollInterval: '5s', buckets: [0.01, 0.1, 1], subjectLabel: true })).not.toThrow();
  });

  it('new JetStreamTracing refuses an unknown key and what is not a provider or a propagator', () => {
    expect(tracing({ tracerProvdier: {} })).toThrow(/^JetStreamTracing: unknown option "tracerProvdier" \(did you mean "tracerProvider"\?\)/);
    expect(tracing({ tracerProvider: 'otel' })).toThrow(/JetStreamTracing: tracerProvider must have getTracer\(\)/);
    expect(tracing({ propagator: { inject: () => undefined } })).toThrow(/JetStreamTracing: propagator must have inject\(\) and extract\(\)/);
  });
});
