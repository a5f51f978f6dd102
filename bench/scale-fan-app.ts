// The handler the instances curve fans out to, and the count it keeps: shared by the curve run in
// one process (scale-instances.ts) and by its child processes (scale-fan-child.ts).
import { readFileSync } from 'node:fs';
import { Controller, Module, type Type } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { JetStreamEvent, type JetStreamEventMode } from '@nest-jetstream/transport';

export const FAN_STREAM = 'SCALE_FAN';
export const FAN_SUBJECT = 'scale.fan';

/** Deliveries handled in this process since `arm()`, and when they reached the target. */
export const fanCount = {
  deliveries: 0,
  target: Infinity,
  /** `process.hrtime.bigint()` (CLOCK_MONOTONIC, the same clock in every process of the machine) at the first delivery and at the target, in ns. */
  firstAt: 0n,
  reachedAt: 0n,
  /** Called once when the target is reached. */
  onReached: (): void => undefined,
  arm(target: number): void {
    this.deliveries = 0;
    this.firstAt = this.reachedAt = 0n;
    this.target = target;
  },
  /** One delivery handled. */
  tick(): void {
    const n = ++this.deliveries;
    if (n === 1) this.firstAt = process.hrtime.bigint();
    if (n === this.target) {
      this.reachedAt = process.hrtime.bigint();
      this.onReached();
    }
  },
};

/** One `@JetStreamEvent` handler on `scale.fan` in `mode`; each delivery counts in `fanCount`. */
export function fanModule(mode: JetStreamEventMode): Type<unknown> {
  @Controller()
  class FanController {
    @JetStreamEvent(FAN_SUBJECT, { mode })
    handle(@Payload() _data: Uint8Array) {
      fanCount.tick();
    }
  }
  @Module({ controllers: [FanController] })
  class FanModule {}
  return FanModule;
}

/** Milliseconds from `from` to `to`, both `process.hrtime.bigint()`. */
export const msBetween = (from: bigint, to: bigint) => Number(to - from) / 1e6;

/** CPU (user + system) a process has used, in µs, from /proc/<pid>/stat (clock ticks of 10 ms: read it over long phases). */
export function procCpuUs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}
