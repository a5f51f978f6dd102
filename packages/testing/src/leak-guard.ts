import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

/**
 * Every nats-server this process starts is registered here and killed when the
 * process exits, even if a test forgot to stop it, and the temp dir it ran in (config,
 * store) is removed. A detached watchdog shell per server covers the cases where no exit
 * handler runs (SIGKILL, a crashed jest worker).
 */
const live = new Set<number>();
/** Temp dirs of servers not stopped yet: removed when this process ends. */
const workDirs = new Set<string>();
let hooked = false;

function killAll(): void {
  for (const pid of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
  workDirs.clear();
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      // Someone else handles this signal (a graceful shutdown): leave the servers to it;
      // the exit hook and the watchdogs still catch whatever it forgets.
      if (process.listenerCount(signal) > 1) return;
      process.removeListener(signal, onSignal);
      killAll();
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** A server's temp dir, removed when this process ends before `releaseWorkDir`. */
export function trackWorkDir(dir: string): void {
  hook();
  workDirs.add(dir);
}

export function releaseWorkDir(dir: string): void {
  workDirs.delete(dir);
}

/** `workDir` is removed too when this process dies first. */
export function trackServerProcess(pid: number, workDir: string): void {
  hook();
  live.add(pid);
  // Polls both PIDs; when this process is gone first, the server goes too, then its temp dir
  // (a server that ends first, for a restart, keeps its dir).
  const parent = process.pid;
  const script =
    `while kill -0 ${parent} 2>/dev/null && kill -0 ${pid} 2>/dev/null; do sleep 0.5; done; ` +
    `if ! kill -0 ${parent} 2>/dev/null; then kill -9 ${pid} 2>/dev/null; ` +
    `while kill -0 ${pid} 2>/dev/null; do sleep 0.1; done; rm -rf -- "$1"; fi; exit 0`;
  // The dir is an argument, not part of the script: no quoting of whatever TMPDIR holds.
  const watchdog = spawn('sh', ['-c', script, 'nest-jetstream-watchdog', workDir], { detached: true, stdio: 'ignore' });
  watchdog.unref();
}

export function untrackServerProcess(pid: number): void {
  live.delete(pid);
}

/** PIDs of the nats-server processes this process started and has not yet seen exit. */
export function trackedServerPids(): number[] {
  return [...live];
}

/** Whether a process with this PID is alive (not a zombie). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // A zombie still answers kill(0); its /proc status says Z.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.split(') ')[1]?.[0] !== 'Z';
  } catch {
    return true;
  }
}
