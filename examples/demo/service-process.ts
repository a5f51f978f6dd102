// Runs an example service as a child process (TypeScript through scripts/register.cjs), the way
// the demo and the end-to-end tests use them: real processes that can be stopped and killed.
// Output is read by the launcher package's NdjsonProcess (the one child-process reader of the repo).
import { join } from 'node:path';
import { NdjsonProcess, type ProcessExit } from '@nest-jetstream/testing';

const ROOT = join(__dirname, '..', '..');

export type ServiceName = 'orders-service' | 'inventory-service';

/** The lines a service prints on stdout about itself (its logs are other lines). */
interface ServiceEvent {
  event?: string;
  service?: string;
  port?: number;
}

export class ServiceProcess {
  port = 0;
  private proc?: NdjsonProcess<ServiceEvent>;

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
    const proc = this.spawn({});
    try {
      const ready = await proc.waitForLine(`${this.name} to be ready`, (l) => l.event === 'ready' && typeof l.port === 'number', { timeout });
      this.port = ready.port!;
    } catch (err) {
      await proc.kill();
      throw err;
    }
    return this;
  }

  /**
   * A provisioning run (NATS_PROVISION_ONLY=true): the service creates its streams and consumers
   * and exits. Resolves once it exited with code 0 after its "provisioned" line.
   */
  async provision(timeout = 60_000): Promise<void> {
    const proc = this.spawn({ NATS_PROVISION_ONLY: 'true' });
    const timer = setTimeout(() => proc.signal('SIGKILL'), timeout);
    const { code, signal } = await proc.exited.finally(() => clearTimeout(timer));
    if (code !== 0 || !proc.lines.some((l) => l.event === 'provisioned')) {
      throw new Error(
        `${this.name} provisioning run ended with ${signal ?? `code ${code}`}${signal === 'SIGKILL' ? ` (over ${timeout} ms)` : ''}:\n${proc.describe()}`,
      );
    }
  }

  private spawn(extra: Record<string, string>): NdjsonProcess<ServiceEvent> {
    this.proc = NdjsonProcess.spawn<ServiceEvent>(process.execPath, [...this.nodeArgs, '-r', join(ROOT, 'scripts/register.cjs'), this.entry], {
      env: { ...process.env, ...this.env, ...extra },
    });
    return this.proc;
  }

  /** The running process's pid (undefined once it exited). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * Graceful stop (SIGTERM: the service finishes its handlers and drains). Nest's shutdown hooks
   * re-raise the signal after closing, so a clean stop ends by SIGTERM after a "stopped" line.
   */
  async stop(): Promise<ProcessExit & { graceful: boolean }> {
    const proc = this.proc;
    if (!proc) return { code: null, signal: null, graceful: false };
    if (proc.exit) return { ...proc.exit, graceful: false };
    const exit = await proc.kill('SIGTERM');
    return { ...exit, graceful: proc.lines.some((l) => l.event === 'stopped') };
  }

  async kill(): Promise<void> {
    await this.proc?.kill('SIGKILL');
  }

  /** Its stderr and other output, the last part of each (for a failure message). */
  tail(): string {
    return this.proc?.describe() ?? '(not started)';
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
