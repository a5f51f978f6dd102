import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { waitFor } from './wait-for.js';

/** How a child process ended: its exit code, or the signal that ended it. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Where and how to run the child. */
export interface NdjsonProcessOptions {
  /** Its environment. Default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** Its working directory. Default: this process's. */
  cwd?: string;
}

/** Children still running: killed when this process exits, whatever the reason. */
const live = new Set<ChildProcessWithoutNullStreams>();
process.once('exit', () => live.forEach((p) => p.kill('SIGKILL')));

/** What `describe()` quotes of stderr and of stdout's non-JSON lines. */
const TAIL_CHARS = 2000;

/**
 * A child process that reports on stdout with one JSON object per line (NDJSON), e.g. a service
 * under a crash test printing `{"event":"ready"}`. Lines are buffered until complete; `lines` holds
 * every JSON line parsed so far, `text` the other lines (logs), `stderr` what it wrote there.
 * `waitForLine` waits for a line with a deadline and fails at once if the process exits first.
 * A child left running is killed when the test process exits.
 */
export class NdjsonProcess<L extends object = Record<string, unknown>> {
  /** Every JSON line of stdout, parsed, in order. */
  readonly lines: L[] = [];
  /** The stdout lines that are not JSON. */
  readonly text: string[] = [];
  /** Everything written to stderr. */
  stderr = '';
  /** Resolves once the process exited and its output was read to the end. */
  readonly exited: Promise<ProcessExit>;
  private ended?: ProcessExit;
  private partial = '';

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    live.add(child);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.read(chunk));
    child.stdout.on('end', () => this.read('\n'));
    child.stderr.on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise<ProcessExit>((resolve) => {
      // 'close' comes after the exit and after stdout and stderr ended: no line is still on its way.
      child.once('close', (code, signal) => {
        live.delete(child);
        this.ended = { code, signal };
        resolve(this.ended);
      });
    });
  }

  /** Starts `command` with `args` (e.g. `process.execPath`, `['-r', register, 'consumer.ts']`). */
  static spawn<L extends object = Record<string, unknown>>(command: string, args: readonly string[], options: NdjsonProcessOptions = {}): NdjsonProcess<L> {
    return new NdjsonProcess<L>(spawn(command, args, { env: options.env, cwd: options.cwd }));
  }

  /** Its pid while it runs; undefined once it exited. */
  get pid(): number | undefined {
    return this.ended ? undefined : this.child.pid;
  }

  /** How it ended, once it did. */
  get exit(): ProcessExit | undefined {
    return this.ended;
  }

  /**
   * Resolves with the first line `match` accepts (one already received counts). Rejects after
   * `timeout` ms (default 10000), or as soon as the process exits without such a line, with
   * `description`, how it ended and the tail of its stderr.
   */
  async waitForLine(description: string, match: (line: L) => boolean, { timeout = 10_000 }: { timeout?: number } = {}): Promise<L> {
    const stop = new AbortController();
    void this.exited.then(() => {
      if (!this.lines.some(match))
        stop.abort(new Error(`${description}: the process ended (${this.describeExit()}) before it printed such a line.\n${this.describe()}`));
    });
    try {
      return await waitFor(description, () => this.lines.find(match), { timeout, signal: stop.signal });
    } catch (err) {
      if (stop.signal.aborted) throw stop.signal.reason;
      throw new Error(`${(err as Error).message}\n${this.describe()}`, { cause: err });
    } finally {
      stop.abort();
    }
  }

  /** Writes `text` to its stdin. */
  write(text: string): void {
    this.child.stdin.write(text);
  }

  /** Sends `signal` (e.g. `'SIGSTOP'`, `'SIGCONT'`) without waiting; nothing once it exited. */
  signal(signal: NodeJS.Signals): void {
    if (!this.ended) this.child.kill(signal);
  }

  /** Sends `signal` (default SIGKILL) unless it already exited, and resolves once it did. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ProcessExit> {
    this.signal(signal);
    return this.exited;
  }

  /** Its stderr and non-JSON output, the last part of each, for a failure message. */
  describe(): string {
    const tail = (s: string) => (s.length > TAIL_CHARS ? `…${s.slice(-TAIL_CHARS)}` : s);
    return `stderr: ${tail(this.stderr) || '(empty)'}\nother output: ${tail(this.text.join('\n')) || '(none)'}`;
  }

  private describeExit(): string {
    return this.ended?.signal ? `signal ${this.ended.signal}` : `code ${this.ended?.code}`;
  }

  private read(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    for (const part of parts) {
      const line = part.trim();
      if (!line) continue;
      const parsed = parseObject(line);
      if (parsed) this.lines.push(parsed as L);
      else this.text.push(line);
    }
  }
}

function parseObject(line: string): object | undefined {
  if (!line.startsWith('{') && !line.startsWith('[')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
