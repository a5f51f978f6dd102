import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { JetStreamHealth } from '../health/jetstream-health.js';
import type { HealthReport } from '../health/health.types.js';

/**
 * `@nestjs/terminus` indicators for a JetStream server's or client's health: `isLive` for the
 * liveness probe (connection only), `isReady` for the readiness probe (the six signals).
 *
 * ```ts
 * @Get('health/ready') @HealthCheck()
 * ready() { return this.health.check([() => this.jetstream.isReady('jetstream', this.server.health)]); }
 * ```
 */
@Injectable()
export class JetStreamHealthIndicator {
  constructor(private readonly indicators: HealthIndicatorService) {}

  async isLive<const Key extends string>(key: Key, health: JetStreamHealth): Promise<HealthIndicatorResult<Key>> {
    return this.toResult(key, await health.liveness());
  }

  async isReady<const Key extends string>(key: Key, health: JetStreamHealth): Promise<HealthIndicatorResult<Key>> {
    return this.toResult(key, await health.readiness());
  }

  private toResult<const Key extends string>(key: Key, report: HealthReport): HealthIndicatorResult<Key> {
    const checks = Object.fromEntries(
      report.checks.map((c) => [c.name, { status: c.status, ...(c.message ? { message: c.message } : {}), details: c.details }]),
    );
    const session = this.indicators.check(key);
    return report.status === 'up' ? session.up({ checks }) : session.down({ checks });
  }
}
