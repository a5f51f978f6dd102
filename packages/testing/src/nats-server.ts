import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { natsServerBinaryVersion, resolveNatsServerBinary } from './binary.js';
import { configServerName, rewriteForLoopback } from './config-rewrite.js';
import { releaseWorkDir, trackServerProcess, trackWorkDir, untrackServerProcess } from './leak-guard.js';
import { getMonitorJson } from './monitor.js';
import { freePort } from './ports.js';
import { waitFor } from './wait-for.js';

export interface NatsServerOptions {
  /** The nats-server binary. Default: `resolveNatsServerBinary()` (NATS_SERVER_BIN, then the cached newest). */
  binary?: string;
  /** Enable JetStream. Default true. */
  jetstream?: boolean;
  /** `server_name`. Default `n-<client port>`. */
  serverName?: string;
  /** Loopback address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** JetStream store dir. Default: a new temp dir, removed by `stop()`. A given dir is never removed. */
  storeDir?: string;
  /**
   * More nats-server configuration, appended verbatim after what the launcher writes:
   * accounts, authorization, limits, TLS. Default none.
   */
  config?: string;
  /** How long `start()` waits for JetStream to answer, in ms. Default 20000. */
  startTimeout?: number;
  /** Ports to use instead of random free ones (the cluster launcher sets them). */
  ports?: Partial<NatsServerPorts>;
  /**
   * Addresses (`host:port`) a config file's `gateway` and `leafnodes` blocks advertise instead of
   * their own: a `LinkProxy` in front of them, so links found by gossip go through it too. Default none.
   */
  advertise?: { gateway?: string; leafnode?: string };
  /** Cluster block: the launcher's 3-node cluster sets this. */
  cluster?: { name: string; routes: number[] };
  /**
   * A nats-server config file written for containers (e.g. deploy/nats/nats-1.conf): loaded as
   * it is, with only its ports, routes and store_dir moved to loopback and temp dirs. Its
   * `server_name` is used. `config` is still appended. Default none.
   */
  configFile?: string;
  /**
   * Environment variables for the nats-server process, added to this process's own: e.g. the
   * passwords a config file references as `$NATS_ADMIN_PASSWORD`. Default none.
   */
  env?: Record<string, string>;
}

export interface NatsServerPorts {
  client: number;
  monitor: number;
  /** 0 when the server is not in a cluster. */
  cluster: number;
  /** Where other clusters' gateways connect; 0 when its config file has no `gateway` block. */
  gateway: number;
  /** Where leaf nodes connect; 0 when its config file has no `leafnodes` block. */
  leafnode: number;
}

const LOG_LINES_KEPT = 200;
const STOP_GRACE_MS = 10_000;

/**
 * One real nats-server process on random loopback ports with a temp store dir.
 * `start()` resolves only once the server reports JetStream healthy.
 */
export class NatsServer {
  readonly binary: string;
  /** The binary's version, e.g. `2.9.10`. */
  readonly version: string;
  readonly host: string;
  readonly serverName: string;
  readonly storeDir: string;
  readonly configPath: string;
  readonly ports: NatsServerPorts;

  private proc?: ChildProcess;
  private exited?: Promise<void>;
  private readonly log: string[] = [];
  private readonly workDir: string;
  private readonly ownsStoreDir: boolean;
  private stopped = false;

  private constructor(
    private readonly options: NatsServerOptions,
    ports: NatsServerPorts,
  ) {
    this.binary = options.binary ?? resolveNatsServerBinary();
    this.version = natsServerBinaryVersion(this.binary);
    this.host = options.host ?? '127.0.0.1';
    this.ports = ports;
    const fileText = options.configFile ? readFileSync(options.configFile, 'utf8') : undefined;
    this.serverName = (fileText && configServerName(fileText)) ?? options.serverName ?? `n-${ports.client}`;
    this.workDir = mkdtempSync(join(tmpdir(), 'nest-jetstream-nats-'));
    trackWorkDir(this.workDir);
    this.ownsStoreDir = !options.storeDir;
    this.storeDir = options.storeDir ?? join(this.workDir, 'store');
    this.configPath = join(this.workDir, 'nats-server.conf');
    writeFileSync(this.configPath, fileText === undefined ? this.renderConfig() : this.rewriteConfigFile(fileText));
  }

  /** Starts a server and waits until JetStream answers. Retries on a port taken by someone else. */
  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const fixedPorts = options.ports?.client !== undefined;
    for (let attempt = 1; ; attempt++) {
      const server = await NatsServer.prepare(options);
      try {
        await server.launch();
        return server;
      } catch (err) {
        await server.stop();
        const portTaken = /address already in use/i.test(server.logTail());
        if (!portTaken || fixedPorts || attempt >= 3) throw err;
      }
    }
  }

  /** Picks ports and writes the config without starting the process; `launch()` starts it. */
  static async prepare(options: NatsServerOptions = {}): Promise<NatsServer> {
    return new NatsServer(options, await pickPorts(options));
  }

  /** `nats://host:port` for clients. */
  get url(): string {
    return `nats://${this.host}:${this.ports.client}`;
  }

  get pid(): number | undefined {
    return this.proc?.exitCode === null && this.proc.signalCode === null ? this.proc.pid : undefined;
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  /** The last lines the server logged (it logs to stderr). */
  logTail(lines = 40): string {
    return this.log.slice(-lines).join('\n');
  }

  /** Sends `signal` (SIGKILL by default) and waits for the process to exit. The store dir stays. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.running) return;
    proc.kill(signal);
    await this.exited;
  }

  /** Starts the server again on the same ports with the same store dir, and waits for JetStream. */
  async restart(): Promise<void> {
    if (this.running) await this.kill('SIGTERM');
    this.stopped = false;
    await this.launch();
  }

  /** Graceful stop (SIGTERM, SIGKILL after 10 s); removes the temp dirs it created. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const proc = this.proc;
    if (proc && this.running) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.workDir, { recursive: true, force: true });
    releaseWorkDir(this.workDir);
    if (!this.ownsStoreDir) return;
    rmSync(this.storeDir, { recursive: true, force: true });
  }

  /** Resolves once `/healthz` says the server (and JetStream, when enabled) is ready; fails at once if it exits. */
  async waitUntilReady(timeout = this.options.startTimeout ?? 20_000): Promise<void> {
    const jetstream = this.options.jetstream !== false;
    const path = jetstream ? '/healthz?js-enabled-only=true' : '/healthz';
    const proc = this.proc;
    const exited = this.exited;
    // Rejects once stderr is read to its end (`exited` waits for 'close'), so the tail holds the
    // server's last words; after a successful start the rejection is ignored.
    const died = new Promise<never>((_, reject) => {
      const fail = () => reject(new NatsServerStartError(`nats-server ${this.serverName} exited during start`, this.logTail()));
      if (!proc || !exited) fail();
      else void exited.then(fail);
    });
    // Once the race is decided (the process died), the polling stops too.
    const stopPolling = new AbortController();
    const ready = waitFor(
      `nats-server ${this.serverName} (${this.url}) to report ${jetstream ? 'JetStream' : 'itself'} healthy`,
      async () => {
        const { status } = await getMonitorJson(this.host, this.ports.monitor, path);
        if (status !== 200) return false;
        if (!jetstream) return true;
        // healthz can pass before the JetStream API answers: ask for its config.
        const jsz = await getMonitorJson<{ config?: unknown }>(this.host, this.ports.monitor, '/jsz');
        return jsz.status === 200 && jsz.body.config !== undefined;
      },
      { timeout, interval: 50, signal: stopPolling.signal },
    ).catch((err: Error) => {
      throw new NatsServerStartError(err.message, this.logTail(), err);
    });
    try {
      await Promise.race([ready, died]);
    } finally {
      stopPolling.abort();
      died.catch(() => undefined);
      ready.catch(() => undefined);
    }
  }

  /** Spawns the process of a prepared (or killed) server and waits until it is ready. */
  async launch(): Promise<void> {
    if (this.running) throw new Error(`nats-server ${this.serverName} is already running (pid ${this.pid})`);
    const proc = spawn(this.binary, ['-c', this.configPath], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: this.options.env ? { ...process.env, ...this.options.env } : process.env,
    });
    this.proc = proc;
    // 'close', not 'exit': it comes once stderr is read to its end, so the log tail is whole.
    this.exited = new Promise((resolveExit) => proc.once('close', () => resolveExit()));
    const pid = proc.pid;
    if (pid === undefined) {
      throw new NatsServerStartError(`could not spawn ${this.binary}`, '');
    }
    trackServerProcess(pid, this.workDir);
    void this.exited.then(() => untrackServerProcess(pid));
    let partial = '';
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      this.log.push(...lines);
      if (this.log.length > LOG_LINES_KEPT) this.log.splice(0, this.log.length - LOG_LINES_KEPT);
    });
    proc.stderr?.on('end', () => {
      if (partial) this.log.push(partial);
      partial = '';
    });
    await this.waitUntilReady();
  }

  private rewriteConfigFile(text: string): string {
    const { host, ports, storeDir, options } = this;
    const dir = dirname(resolve(options.configFile!));
    const readInclude = (path: string) => readFileSync(resolve(dir, path), 'utf8');
    const rewritten = rewriteForLoopback(text, {
      host,
      client: ports.client,
      monitor: ports.monitor,
      cluster: ports.cluster,
      routes: options.cluster?.routes ?? [],
      gateway: ports.gateway,
      leafnode: ports.leafnode,
      advertise: options.advertise,
      leaveOut: settingsTooNew(this.version),
      storeDir,
      readInclude,
    });
    return options.config ? `${rewritten}\n${options.config}\n` : `${rewritten}\n`;
  }

  private renderConfig(): string {
    const { ports, host, serverName, storeDir, options } = this;
    const lines = [`server_name: "${serverName}"`, `listen: "${host}:${ports.client}"`, `http: "${host}:${ports.monitor}"`];
    if (options.jetstream !== false) lines.push(`jetstream { store_dir: "${storeDir}" }`);
    if (options.cluster) {
      const routes = options.cluster.routes.map((p) => `"nats-route://${host}:${p}"`).join(', ');
      lines.push(`cluster { name: "${options.cluster.name}", listen: "${host}:${ports.cluster}", routes: [${routes}] }`);
    }
    if (options.config) lines.push(options.config);
    return lines.join('\n') + '\n';
  }
}

/** Thrown when a nats-server does not become ready; carries the server's log tail. */
export class NatsServerStartError extends Error {
  constructor(
    message: string,
    readonly logTail: string,
    cause?: unknown,
  ) {
    super(`${message}\n--- nats-server log tail ---\n${logTail || '(empty)'}`, { cause });
    this.name = 'NatsServerStartError';
  }
}

async function pickPorts(options: NatsServerOptions): Promise<NatsServerPorts> {
  const host = options.host ?? '127.0.0.1';
  const text = options.configFile ? readFileSync(options.configFile, 'utf8') : undefined;
  return {
    client: options.ports?.client ?? (await freePort(host)),
    monitor: options.ports?.monitor ?? (await freePort(host)),
    cluster: options.ports?.cluster ?? (options.cluster ? await freePort(host) : 0),
    gateway: options.ports?.gateway ?? (hasBlock(text, 'gateway') ? await freePort(host) : 0),
    leafnode: options.ports?.leafnode ?? (hasBlock(text, 'leafnodes') ? await freePort(host) : 0),
  };
}

/** Settings of deploy/nats's files a server of `version` refuses to start with: `sync_interval` before 2.10. */
function settingsTooNew(version: string): string[] {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major < 2 || (major === 2 && minor < 10) ? ['sync_interval'] : [];
}

function hasBlock(text: string | undefined, name: string): boolean {
  return text !== undefined && new RegExp(`^\\s*${name}\\s*[:=]?\\s*\\{`, 'm').test(text);
}
