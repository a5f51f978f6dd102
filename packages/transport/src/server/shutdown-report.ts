import type { LoggerService } from '@nestjs/common';
import type { HandlerRunner } from '../consuming/runners.js';

/** `2 on "orders.created" (ORDERS/billing__orders_created), 1 on …`: the handlers of `runners` running now. */
function running(runners: readonly HandlerRunner[]): { count: number; where: string } {
  const busy = runners.filter((r) => r.runningHandlers > 0);
  return {
    count: busy.reduce((n, r) => n + r.runningHandlers, 0),
    where: busy.map((r) => `${r.runningHandlers} on "${r.binding.subject}" (${r.binding.stream}/${r.binding.durable})`).join(', '),
  };
}

/**
 * The lines `JetStreamServer.close()` logs: what it waits for and how long before, what happened
 * after (every handler finished, or how many were abandoned to redelivery).
 */
export class ShutdownReport {
  private readonly started = Date.now();
  private readonly waitedFor: number;

  constructor(
    private readonly logger: LoggerService,
    private readonly runners: readonly HandlerRunner[],
    private readonly timeoutMs: number,
  ) {
    const now = running(runners);
    this.waitedFor = now.count;
    logger.log(
      now.count > 0
        ? `Shutting down: no new messages are pulled; waiting up to ${timeoutMs} ms (shutdownTimeout) for ${now.count} running handler(s): ${now.where}`
        : `Shutting down: no new messages are pulled; no handler is running`,
    );
  }

  /** After the runners closed: the handlers still running were abandoned (their messages naked for redelivery). */
  handlersDone(): void {
    if (this.waitedFor === 0) return;
    const left = running(this.runners);
    const ms = Date.now() - this.started;
    if (left.count === 0) this.logger.log(`Shutting down: all ${this.waitedFor} running handler(s) finished in ${ms} ms`);
    else
      this.logger.warn(
        `Shutting down: ${left.count} handler(s) still running after shutdownTimeout ${this.timeoutMs} ms were abandoned, their messages naked for redelivery: ${left.where}`,
      );
  }

  closed(): void {
    this.logger.log(`Closed in ${Date.now() - this.started} ms (NATS connection drained)`);
  }
}
