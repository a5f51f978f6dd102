import type { StreamInfo } from '@nats-io/jetstream';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { toMillis } from '../utils/duration.js';
import {
  checkConnection,
  checkDeadLetters,
  checkLeaders,
  checkMonitoring,
  checkStorage,
  ensureHealthStream,
  healthSubject,
  within,
  type HealthSettings,
} from './health-checks.js';
import type { HealthSource } from './health-source.js';
import { checkNamedConnections } from './connections-check.js';
import { checkConsumers } from './consumers-check.js';
import type { HealthCheckResult, HealthOptions, HealthReport } from './health.types.js';

const DEFAULTS = { timeout: '2s', cacheTtl: '1s', maxPending: 10_000, maxAge: '5m', storageUsageMax: 0.9 } as const;

/**
 * The health of a JetStream server or client, the Kubernetes way: `liveness()` (the process and
 * its connection: a slow consumer never gets a pod killed) and `readiness()` (the six signals:
 * connection and round trip, monitoring endpoint, storage writable, stream leaders, consumer lag,
 * dead letters). Nothing runs until asked; a readiness report is reused for `cacheTtl`.
 */
export class JetStreamHealth {
  private readonly settings: HealthSettings;
  private readonly cacheTtlMs: number;
  private cached?: { at: number; report: Promise<HealthReport> };

  /** @internal */
  constructor(
    private readonly source: HealthSource,
    options: HealthOptions = {},
  ) {
    if (options.stream !== undefined && options.storageWrite !== true) {
      throw new JetStreamConfigError(
        `${source.who}: health.stream is set (${options.stream}) but health.storageWrite is not true: the storage check writes to a stream only with storageWrite. Set health.storageWrite: true, or remove health.stream.`,
      );
    }
    this.settings = {
      monitorUrl: options.monitorUrl,
      timeoutMs: toMillis(options.timeout ?? DEFAULTS.timeout, 'health.timeout'),
      maxPending: options.maxPending ?? DEFAULTS.maxPending,
      maxAgeMs: toMillis(options.maxAge ?? DEFAULTS.maxAge, 'health.maxAge'),
      deadLetterMaxDepth: options.deadLetterMaxDepth,
      storageUsageMax: options.storageUsageMax ?? DEFAULTS.storageUsageMax,
      storageWrite: options.storageWrite === true,
      stream: options.stream ?? `${source.serviceName.toUpperCase().replace(/[^A-Z0-9_-]/g, '_')}_HEALTH`,
    };
    this.cacheTtlMs = toMillis(options.cacheTtl ?? DEFAULTS.cacheTtl, 'health.cacheTtl');
  }

  /** The stream and subject the storage check writes to; undefined without `health.storageWrite` (no health stream). */
  get storageTarget(): { stream: string; subject: string } | undefined {
    return this.settings.storageWrite ? { stream: this.settings.stream, subject: healthSubject(this.source.serviceName) } : undefined;
  }

  /** @internal Creates the storage check's stream now (in `create-or-update`, at boot), with `replicas`; nothing without `storageWrite`. */
  async provision(replicas: number): Promise<void> {
    const conn = this.source.connection();
    if (!conn || !this.settings.storageWrite) return;
    await ensureHealthStream(conn.jsm, this.source, this.settings.stream, healthSubject(this.source.serviceName), replicas, this.settings.timeoutMs);
  }

  /** Up while the process has a NATS connection that is not closed for good (reconnecting counts as alive). */
  async liveness(): Promise<HealthReport> {
    const conn = this.source.connection();
    const status = this.source.status();
    const alive = conn !== undefined && !conn.nc.isClosed() && status !== 'closed';
    const check: HealthCheckResult = alive
      ? { name: 'nats.connection', status: 'up', details: { status } }
      : {
          name: 'nats.connection',
          status: 'down',
          message:
            (conn ? undefined : this.source.notStarted?.()) ??
            this.source.closedReason()?.message ??
            `${this.source.who} has no open NATS connection (status ${status ?? 'not started'}): restart it.`,
          details: { status: status ?? 'not started' },
        };
    return this.report([check]);
  }

  /** Up when every signal is up (or not configured). */
  readiness(): Promise<HealthReport> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < this.cacheTtlMs) return this.cached.report;
    const fresh = this.computeReadiness();
    this.cached = { at: now, report: fresh };
    return fresh;
  }

  private async computeReadiness(): Promise<HealthReport> {
    const s = this.settings;
    const connection = await checkConnection(this.source, s);
    if (connection.status !== 'up') return this.report([connection, await checkMonitoring(s)]);
    const infos = await this.streamInfos();
    const replicas = Math.max(1, ...[...infos.values()].map((i) => (i instanceof Error ? 1 : i.config.num_replicas)));
    const checks = await Promise.all([
      checkMonitoring(s),
      checkStorage(this.source, s, infos, replicas),
      checkLeaders(infos),
      checkConsumers(this.source, s),
      checkDeadLetters(this.source, s),
    ]);
    const named = this.source.namedConnections?.();
    if (named) checks.push(checkNamedConnections(named));
    return this.report([connection, ...checks]);
  }

  private async streamInfos(): Promise<Map<string, StreamInfo | Error>> {
    const conn = this.source.connection();
    const out = new Map<string, StreamInfo | Error>();
    if (!conn) return out;
    await Promise.all(
      this.source.streams().map(async ({ name }) => {
        out.set(
          name,
          await within(conn.jsm.streams.info(name), this.settings.timeoutMs, `stream info of ${name}`).catch((err: unknown) =>
            err instanceof Error ? err : new Error(String(err)),
          ),
        );
      }),
    );
    return out;
  }

  /** The report, every message and string detail redacted: it is served over HTTP and logged by probes. */
  private report(checks: HealthCheckResult[]): HealthReport {
    const redact = this.source.redact;
    const clean = (value: unknown): unknown => {
      if (typeof value === 'string') return redact(value);
      if (Array.isArray(value)) return value.map(clean);
      if (value && Object.getPrototypeOf(value) === Object.prototype) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v)]));
      return value;
    };
    const redacted = checks.map((c) => ({
      ...c,
      ...(c.message !== undefined && { message: redact(c.message) }),
      details: clean(c.details) as Record<string, unknown>,
    }));
    return { status: checks.some((c) => c.status === 'down') ? 'down' : 'up', checks: redacted };
  }
}
