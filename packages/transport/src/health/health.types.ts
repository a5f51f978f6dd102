/** One health signal: a named check, its status, its figures and, when down, what is wrong. */
export interface HealthCheckResult {
  /** `nats.connection`, `nats.monitoring`, `jetstream.storage`, `jetstream.leaders`, `jetstream.consumers`, `jetstream.dead-letters`. */
  readonly name: string;
  /** `not_configured`: the check has nothing to look at (it never fails the report). */
  readonly status: 'up' | 'down' | 'not_configured';
  /** What is wrong and where to look, when down (or why not configured). */
  readonly message?: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** A set of checks; `down` when any check is down. */
export interface HealthReport {
  readonly status: 'up' | 'down';
  readonly checks: readonly HealthCheckResult[];
}

// The option types live with the other option types (interfaces/, which the option tables and bindings read); exported from here, as before.
export type { HealthOptions, LagThresholds } from '../interfaces/health-options.interface.js';
