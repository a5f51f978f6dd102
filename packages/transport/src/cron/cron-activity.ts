/** What `provisionCronJobs` did (job subjects by outcome), for logs, tests and `CronMetrics`. */
export interface CronProvisioning {
  created: string[];
  updated: string[];
  unchanged: string[];
  cancelled: string[];
}

/** What the cron provisioning of one service did in this process (what `CronMetrics` reports). */
export interface CronActivity {
  readonly service: string;
  /** Schedules written for a new job, rewritten for a changed one, purged for a removed one, since the process started. */
  created: number;
  updated: number;
  cancelled: number;
  /** Jobs the service's code declares, at its last provisioning. */
  jobs: number;
  /** When that provisioning finished (ms since the epoch). */
  provisionedAt: number;
}

// One entry per service name booted in this process (a handful): counts accumulate across boots.
const activities = new Map<string, CronActivity>();

/** Adds one provisioning's outcome (called by `provisionCronJobs`). */
export function recordCronProvisioning(service: string, done: CronProvisioning, now = Date.now()): void {
  const a = activities.get(service) ?? { service, created: 0, updated: 0, cancelled: 0, jobs: 0, provisionedAt: 0 };
  a.created += done.created.length;
  a.updated += done.updated.length;
  a.cancelled += done.cancelled.length;
  a.jobs = done.created.length + done.updated.length + done.unchanged.length;
  a.provisionedAt = now;
  activities.set(service, a);
}

/** Every service's cron activity in this process, as copies. */
export function cronActivities(): CronActivity[] {
  return [...activities.values()].map((a) => ({ ...a }));
}
