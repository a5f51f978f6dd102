// @nest-jetstream/transport/tracing: OpenTelemetry tracing through @opentelemetry/api (an optional peer dependency).
export { JetStreamTracing } from './jetstream.tracing.js';
export type { JetStreamTracingOptions } from './jetstream.tracing.js';
