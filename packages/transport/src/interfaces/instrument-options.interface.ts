import type { TextMapPropagator, TracerProvider } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import type { Duration } from '../utils/duration.js';

// The options of the optional instruments (the metrics and tracing subpaths). They live with the other
// option types, below config/, whose option tables check them: config imports no instrument.

/** Options of `new JetStreamMetrics()`. */
export interface JetStreamMetricsOptions {
  /** The prom-client registry. Default: prom-client's global `register`. */
  registry?: Registry;
  /** Prefix of every metric name. Default `'nest_jetstream_'`. */
  prefix?: string;
  /** Add the subject as a label of the publish metrics (mind the cardinality). Default false. */
  subjectLabel?: boolean;
  /** How often consumer and stream state is read from the server while attached. Default `'15s'`. */
  pollInterval?: Duration;
  /** Histogram buckets, in seconds. Default 0.5 ms to 10 s. */
  buckets?: number[];
}

/** Options of `new JetStreamTracing()`. */
export interface JetStreamTracingOptions {
  /** Where spans go. Default: the global provider (`trace.setGlobalTracerProvider`, which the OpenTelemetry SDK's start sets). */
  tracerProvider?: TracerProvider;
  /** How the trace context crosses the stream in headers. Default: the global propagator (W3C `traceparent`/`tracestate` with the SDK). */
  propagator?: TextMapPropagator;
}
