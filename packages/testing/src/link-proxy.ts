import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './ports.js';

/**
 * A TCP proxy on loopback in front of one server port (a gateway, a leafnode port): every byte
 * passes through it until `cut()`, which drops every connection and refuses new ones as a network
 * partition would, until `heal()`. The super-cluster and hub-and-leaf launchers put one in front
 * of each link.
 */
export class LinkProxy {
  private readonly sockets = new Set<Socket>();
  private isCut = false;

  private constructor(
    /** What the proxy is in front of, for messages: e.g. `gateway a -> b`. */
    readonly name: string,
    readonly host: string,
    /** Where it listens. */
    readonly port: number,
    /** The port it forwards to. */
    readonly target: number,
    private readonly server: Server,
  ) {}

  /** Listens on a free loopback port and forwards to `target` on the same host. */
  static async start(name: string, target: number, host = '127.0.0.1'): Promise<LinkProxy> {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort(host);
      const server = createServer();
      const proxy = new LinkProxy(name, host, port, target, server);
      server.on('connection', (client) => proxy.accept(client));
      try {
        await new Promise<void>((resolveListen, reject) => {
          server.once('error', reject);
          server.listen(port, host, () => resolveListen());
        });
        return proxy;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  }

  /** `host:port` where the proxy listens. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** True between `cut()` and `heal()`. */
  get severed(): boolean {
    return this.isCut;
  }

  /** Drops every connection through the proxy and refuses new ones until `heal()`. */
  cut(): void {
    this.isCut = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** Lets connections through again; the servers reconnect on their own schedule. */
  heal(): void {
    this.isCut = false;
  }

  /** Stops listening and drops every connection. Idempotent. */
  async stop(): Promise<void> {
    this.cut();
    if (!this.server.listening) return;
    await new Promise<void>((resolveClose) => this.server.close(() => resolveClose()));
  }

  private accept(client: Socket): void {
    if (this.isCut) {
      client.destroy();
      return;
    }
    const upstream = connect(this.target, this.host);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(from);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.sockets.delete(from);
        to.destroy();
      });
      from.pipe(to);
    }
  }
}
