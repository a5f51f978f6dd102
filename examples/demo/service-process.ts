// Runs an example service as a child process (TypeScript through scripts/register.cjs), the way
// the demo and the end-to-end tests use them: real processes that can be stopped and killed.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from '@nest-jetstream/testing';

const ROOT = join(__dirname, '..', '..');

/** Service processes still running: killed when this process exits, whatever the reason. */
const live = new Set<ChildProcessWithoutNullStreams>();
process.once('exit', () => live.forEach((p) => p.kill('SIGKILL')));

export type ServiceName = 'orders-service' | 'inventory-service';

export class ServiceProcess {
  port = 0;
  private proc?: ChildProcessWithoutNullStreams;
  private output = '';
  private exit?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /**
   * `name`: an example service, run from its src/main.ts; any other name needs `entry`, the
   * TypeScript file to run (it prints the same "ready" line: the fault suite's consumer app).
   * `nodeArgs`: flags for node itself (the fault suite's `--expose-gc`).
   */
  constructor(
    readonly name: ServiceName | (string & {}),
    private readonly env: Record<string, string>,
    private readonly entry = join(ROOT, 'examples', name, 'src/main.ts'),
    private readonly nodeArgs: string[] = [],
  ) {}

  /** Starts the service and resolves once it printed its ready line (HTTP listening, consumers bound). */
  async start(timeout = 30_000): Promise<this> {
    const { proc, exited } = this.spawn({});
    await waitFor(`${this.name} to be ready`, () => {
      if (exited()) throw new Error(`${this.name} exited during start:\n${this.tail()}`);
      const m = /\{"event":"ready","service":"\w+","port":(\d+)\}/.exec(this.output);
      if (m) this.port = Number(m[1]);
      return m !== null;
    }, { timeout, interval: 50 }).catch((err: Error) => {
      proc.kill('SIGKILL');
      throw new Error(`${err.message}\n${this.tail()}`, { cause: err.cause });
    });
    return this;
  }

  /**
   * A provisioning run (NATS_PROVISION_ONLY=true): the service creates its streams and consumers
   * and exits. Resolves once it exited with code 0 after its "provisioned" line.
   */
  async provision(timeout = 60_000): Promise<void> {
    const { proc } = this.spawn({ NATS_PROVISION_ONLY: 'true' });
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeout);
    const { code, signal } = await this.exit!.finally(() => clearTimeout(timer));
    if (code !== 0 || !/\{"event":"provisioned"/.test(this.output)) {
      throw new Error(`${this.name} provisioning run ended with ${signal ?? `code ${code}`}${signal === 'SIGKILL' ? ` (over ${timeout} ms)` : ''}:\n${this.tail()}`);
    }
  }

  private spawn(extra: Record<string, string>): { proc: ChildProcessWithoutNullStreams; exited: () => boolean } {
    this.output = '';
    const proc = spawn(process.execPath, [...this.nodeArgs, '-r', join(ROOT, 'scripts/register.cjs'), this.entry], {
      env: { ...process.env, ...this.env, ...extra },
    });
    this.proc = proc;
    live.add(proc);
    this.exit = new Promise((resolve) =>
      proc.on('exit', (code, signal) => {
        live.delete(proc);
        resolve({ code, signal });
      }),
    );
    let exited = false;
    void this.exit.then(() => (exited = true));
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (c: string) => (this.output += c));
    proc.stderr.on('data', (c: string) => (this.output += c));
    return { proc, exited: () => exited };
  }

  /** The running process's pid (undefined once it exited). */
  get pid(): number | undefined {
    return this.proc && this.proc.exitCode === null && this.proc.signalCode === null ? this.proc.pid : undefined;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * Graceful stop (SIGTERM: the service finishes its handlers and drains). Nest's shutdown hooks
   * re-raise the signal after closing, so a clean stop ends by SIGTERM after a "stopped" line.
   */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; graceful: boolean }> {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) {
      return { code: this.proc?.exitCode ?? null, signal: this.proc?.signalCode ?? null, graceful: false };
    }
    this.proc.kill('SIGTERM');
    const exit = await this.exit!;
    return { ...exit, graceful: /\{"event":"stopped"/.test(this.output) };
  }

  async kill(): Promise<void> {
    if (!this.proc || this.proc.exitCode !== null) return;
    this.proc.kill('SIGKILL');
    await this.exit;
  }

  /** The last lines the service printed. */
  tail(lines = 30): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }

  logs(): string {
    return this.output;
  }
}

/** An order as `GET /orders/:id` shows it. */
export interface OrderView {
  id: string;
  sku: string;
  qty: number;
  status: 'pending' | 'confirmed' | 'rejected' | 'failed';
  reason: string | null;
}

/** `fetch` with JSON in and out. */
export async function http<T>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { method, headers: body ? { 'content-type': 'application/json' } : undefined, body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, body: (await res.json()) as T };
}
