import { Counter, Gauge, register as defaultRegistry, type Registry } from 'prom-client';
import { cronActivities, type CronActivity } from '../cron/cron-activity.js';
import { CRON_METRIC_NAMES } from './metric-names.js';
import { checkedPrefix } from './metric-prefix.js';

/** Options of `CronMetrics`. */
export interface CronMetricsOptions {
  /** The registry the metrics go in. Default prom-client's global registry. */
  registry?: Registry;
  /** Prefix of every metric name. Default `nest_jetstream_`, as `JetStreamMetrics`. */
  prefix?: string;
}

/**
 * Prometheus metrics of the `@JetStreamCron` schedules this process provisioned, read at each
 * scrape: schedules written by change (`created`, `updated`, `cancelled`), the jobs declared, and
 * when they were last provisioned. Label `service`. The ticks themselves are handler deliveries:
 * `JetStreamMetrics` counts them by `subject` (`messages_settled_total`, `handler_duration_seconds`).
 */
export class CronMetrics {
  constructor(options: CronMetricsOptions = {}) {
    const registry = options.registry ?? defaultRegistry;
    const prefix = checkedPrefix('CronMetrics', options.prefix);
    new Counter({
      name: prefix + CRON_METRIC_NAMES.scheduleChanges,
      help: 'Cron schedules written on the server by change: created (a new job), updated (its schedule changed), cancelled (the job left the code).',
      labelNames: ['service', 'change'],
      registers: [registry],
      collect() {
        this.reset();
        for (const a of cronActivities())
          for (const change of ['created', 'updated', 'cancelled'] as const) this.inc({ service: a.service, change }, a[change]);
      },
    });
    const gauge = (name: string, help: string, read: (a: CronActivity) => number) =>
      new Gauge({
        name: prefix + name,
        help,
        labelNames: ['service'],
        registers: [registry],
        collect() {
          this.reset();
          for (const a of cronActivities()) this.set({ service: a.service }, read(a));
        },
      });
    gauge(CRON_METRIC_NAMES.jobs, 'Cron jobs the service declares, at its last provisioning.', (a) => a.jobs);
    gauge(CRON_METRIC_NAMES.lastProvisioned, 'When the cron schedules were last provisioned (Unix seconds).', (a) => a.provisionedAt / 1000);
  }
}
