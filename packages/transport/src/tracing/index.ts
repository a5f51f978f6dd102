/**
 * OpenTelemetry tracing through @opentelemetry/api (an optional peer dependency).
 * @module @nest-jetstream/transport/tracing
 */
export { JetStreamTracing } from './jetstream.tracing.js';
export type { JetStreamTracingOptions } from './jetstream.tracing.js';
