import type { LoggerService } from '@nestjs/common';
import { RECONNECTING_LOG_INTERVAL_MS } from '../constants.js';
import { splitUserinfo } from './url-credentials.js';

/** `host:port` of a server address, whatever form it comes in: never the credentials of a URL. */
export function hostPort(server: string): string {
  return splitUserinfo(server).address.split(/[/?#]/)[0];
}

/**
 * Awaits `work`; only when it takes longer than `afterMs`, calls `slow` then (with the time so
 * far) and `done` when it ends (with the total time).
 */
export async function whenSlow<T>(work: Promise<T>, afterMs: number, slow: (ms: number) => void, done: (ms: number) => void): Promise<T> {
  const started = Date.now();
  let said = false;
  const timer = setTimeout(() => {
    said = true;
    slow(Date.now() - started);
  }, afterMs);
  try {
    return await work;
  } finally {
    clearTimeout(timer);
    if (said) done(Date.now() - started);
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * One log line per connection transition: disconnected, reconnecting (the first attempt, then at
 * most one line every `RECONNECTING_LOG_INTERVAL_MS` however fast the client retries), and
 * reconnected with how long the outage lasted. The status events of nats.js say the same thing
 * many times (an event per attempt); this keeps the log readable during a long outage.
 */
export class ConnectionLog {
  private disconnectedAt?: number;
  private attempts = 0;
  private lastAttemptLine = 0;

  constructor(
    private readonly logger: LoggerService,
    private readonly everyMs = RECONNECTING_LOG_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  disconnected(server: string): void {
    if (this.disconnectedAt !== undefined) return;
    this.disconnectedAt = this.now();
    this.attempts = 0;
    this.logger.warn(
      `Disconnected from NATS at ${hostPort(server)}: reconnecting. Pulls and publishes wait; unsettled messages are redelivered after their ackWait if their settles are lost.`,
    );
  }

  reconnecting(): void {
    const since = this.disconnectedAt ?? (this.disconnectedAt = this.now());
    this.attempts++;
    const now = this.now();
    if (this.attempts > 1 && now - this.lastAttemptLine < this.everyMs) return;
    this.lastAttemptLine = now;
    this.logger.warn(`Reconnecting to NATS: attempt ${this.attempts}, disconnected for ${seconds(now - since)}`);
  }

  reconnected(server: string): void {
    if (this.disconnectedAt === undefined) return;
    const outage = this.now() - this.disconnectedAt;
    this.disconnectedAt = undefined;
    this.logger.log(`Reconnected to NATS at ${hostPort(server)} after ${seconds(outage)} (${this.attempts} attempt(s))`);
  }
}
