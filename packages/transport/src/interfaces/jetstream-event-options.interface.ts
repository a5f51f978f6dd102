import type { ConsumerOptions } from './jetstream-options.interface.js';
import type { LagThresholds } from '../health/health.types.js';

/** Options of one `@JetStreamEvent` handler: its durable pull consumer and how it settles. */
export interface JetStreamEventOptions extends ConsumerOptions {
  /** The stream to consume from. Default: the declared (or server) stream whose subjects capture the handler's subject. */
  stream?: string;
  /** Durable consumer name. Default `<serviceName>__<subject>` with `.` → `_`, `*` → `star`, `>` → `all`. */
  durable?: string;
  /** Start sequence for `deliverPolicy: 'by_start_sequence'`. */
  optStartSeq?: number;
  /** Start time for `deliverPolicy: 'by_start_time'`. */
  optStartTime?: Date | string;
  /** The handler settles with `ctx.ack()/nak()/term()` itself; the library only warns when it does not. Default false. */
  manualAck?: boolean;
  /** Dead-letter subject (or template, see `JetStreamOptions.deadLetter`); `false` turns the module default off. */
  deadLetter?: string | false;
  /** This handler's lag thresholds for the readiness check. Default: the module's `health.maxPending` / `health.maxAge`. */
  lag?: LagThresholds;
}
