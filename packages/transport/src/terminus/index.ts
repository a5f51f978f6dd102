/**
 * Health indicators for @nestjs/terminus (an optional peer dependency).
 * @module @nest-jetstream/transport/terminus
 */
export { JetStreamHealthIndicator } from './jetstream-health.indicator.js';
