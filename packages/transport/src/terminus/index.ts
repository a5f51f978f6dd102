// @nest-jetstream/transport/terminus: health indicators for @nestjs/terminus (an optional peer dependency).
export { JetStreamHealthIndicator } from './jetstream-health.indicator.js';
