import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

/** A nats-server slowed by CPU contention: see {@link slowDown}. */
export interface CpuContention {
  /** The busy processes running. */
  readonly hogs: number;
  /** Stops the busy processes (the server stays on its one CPU until it restarts). */
  stop(): Promise<void>;
}

export interface CpuContentionOptions {
  /** The CPU the server and the busy processes share. Default 0. */
  cpu?: number;
  /** Busy processes on that CPU, each as greedy as the server: with 3, the server gets about a quarter of it. Default 3. */
  hogs?: number;
}

/**
 * Slows a running nats-server (by its pid) down without pausing it: pins it to one CPU with
 * `taskset` and starts `hogs` busy-looping processes pinned to the same CPU, so the scheduler
 * gives it a fraction of one core. A slow but healthy server: it answers everything, late.
 * Linux only (`taskset`, from util-linux). Always `stop()` it.
 */
export async function slowDown(pid: number, { cpu = 0, hogs = 3 }: CpuContentionOptions = {}): Promise<CpuContention> {
  // -a: every thread of the server (Go schedules its work on several).
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
  const procs: ChildProcess[] = [];
  for (let i = 0; i < hogs; i++) {
    const p = spawn('taskset', ['-c', String(cpu), process.execPath, '-e', 'for (;;) {}'], { stdio: 'ignore' });
    procs.push(p);
  }
  await Promise.all(procs.map((p) => new Promise<void>((resolve, reject) => p.once('spawn', resolve).once('error', reject))));
  return {
    hogs,
    async stop() {
      await Promise.all(
        procs.map(
          (p) =>
            new Promise<void>((resolve) => {
              if (p.exitCode !== null || p.signalCode !== null) return resolve();
              p.once('exit', () => resolve());
              p.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}
