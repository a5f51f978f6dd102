import { getMonitorJson, type JszDocument } from './monitor.js';
import { NatsServer, type NatsServerOptions } from './nats-server.js';
import { freePort } from './ports.js';
import { waitFor } from './wait-for.js';

export interface NatsClusterOptions extends Omit<NatsServerOptions, 'ports' | 'cluster' | 'serverName' | 'storeDir'> {
  /** Number of nodes. Default 3. */
  size?: number;
  /** Cluster name. Default `nest-jetstream`. */
  name?: string;
  /**
   * One nats-server config file per node (e.g. the docker-compose cluster's deploy/nats/*.conf),
   * each loaded with its ports, routes and store moved to loopback. Sets the size. Default none.
   */
  configFiles?: string[];
}

/** A cluster of real nats-servers with JetStream on loopback, routes between every node. */
export class NatsCluster {
  private constructor(
    readonly name: string,
    readonly servers: NatsServer[],
  ) {}

  /**
   * Starts every node, then waits until the JetStream meta group has a leader and every peer is
   * current. Retries with new ports when a port it picked was taken by another process first.
   */
  static async start(options: NatsClusterOptions = {}): Promise<NatsCluster> {
    for (let attempt = 1; ; attempt++) {
      const cluster = await NatsCluster.prepare(options);
      try {
        // Nodes only report JetStream healthy once they see a meta leader, so start them together.
        await Promise.all(cluster.servers.map((s) => s.launch()));
        await cluster.waitForPeers(options.startTimeout);
        return cluster;
      } catch (err) {
        await cluster.stop();
        const portTaken = cluster.servers.some((s) => /address already in use/i.test(s.logTail()));
        if (!portTaken || attempt >= 3) throw err;
      }
    }
  }

  /**
   * Picks ports and writes every node's config without starting them (the super-cluster launcher
   * starts them with the other clusters'). `perNode(i)` adds options to node `i`. A one-node
   * cluster routes to itself: JetStream in a super-cluster refuses a cluster block without routes.
   */
  static async prepare(options: NatsClusterOptions, perNode?: (index: number) => Partial<NatsServerOptions>): Promise<NatsCluster> {
    const size = options.configFiles?.length ?? options.size ?? 3;
    const name = options.name ?? 'nest-jetstream';
    const host = options.host ?? '127.0.0.1';
    const routePorts: number[] = [];
    for (let i = 0; i < size; i++) routePorts.push(await freePort(host));
    const { size: _size, name: _name, configFiles, ...serverOptions } = options;
    const servers = await Promise.all(
      routePorts.map((clusterPort, i) => {
        const extra = perNode?.(i) ?? {};
        return NatsServer.prepare({
          ...serverOptions,
          serverName: `${name}-${i + 1}`,
          cluster: { name, routes: size === 1 ? [clusterPort] : routePorts.filter((p) => p !== clusterPort) },
          configFile: configFiles?.[i],
          ...extra,
          ports: { ...extra.ports, cluster: clusterPort },
        });
      }),
    );
    return new NatsCluster(name, servers);
  }

  /** Client URLs of every node, for `servers` in connection options. */
  get urls(): string[] {
    return this.servers.map((s) => s.url);
  }

  server(name: string): NatsServer {
    const found = this.servers.find((s) => s.serverName === name);
    if (!found) throw new Error(`No node named ${name} in cluster ${this.name}: ${this.servers.map((s) => s.serverName).join(', ')}`);
    return found;
  }

  /** The node that leads the JetStream meta group, once every running node agrees on one. */
  async waitForMetaLeader(timeout = 30_000): Promise<NatsServer> {
    const name = await waitFor(
      `cluster ${this.name} to agree on a JetStream meta leader`,
      async () => {
        const running = this.servers.filter((s) => s.running);
        const views = await Promise.all(
          running.map((s) => getMonitorJson<JszDocument>(s.host, s.ports.monitor, '/jsz').then((r) => r.body.meta_cluster?.leader)),
        );
        const leader = views[0];
        return leader && views.every((v) => v === leader) && running.some((s) => s.serverName === leader) ? leader : undefined;
      },
      { timeout, interval: 100 },
    );
    return this.server(name);
  }

  /**
   * Waits until the meta leader sees every other running node as a current, online JetStream
   * peer: before that, creating a replicated stream can fail with "no suitable peers for placement".
   */
  async waitForPeers(timeout = 30_000): Promise<void> {
    await waitFor(
      `every node of cluster ${this.name} to be a current JetStream peer`,
      async () => {
        const leader = await this.waitForMetaLeader(timeout);
        const { body } = await getMonitorJson<JszDocument>(leader.host, leader.ports.monitor, '/jsz');
        const peers = body.meta_cluster?.replicas ?? [];
        const running = this.servers.filter((s) => s.running).length;
        return peers.filter((p) => p.current && !p.offline).length === running - 1;
      },
      { timeout, interval: 100 },
    );
  }

  /** The node that leads `stream`'s raft group, as the running nodes report it. */
  async streamLeader(stream: string, account = '$G', timeout = 30_000): Promise<NatsServer> {
    const name = await waitFor(
      `a leader for stream ${stream} in cluster ${this.name}`,
      async () => {
        for (const s of this.servers.filter((n) => n.running)) {
          const { body } = await getMonitorJson<JszStreams>(s.host, s.ports.monitor, `/jsz?acc=${encodeURIComponent(account)}&streams=true`);
          for (const acc of body.account_details ?? []) {
            for (const st of acc.stream_detail ?? []) {
              const leader = st.cluster?.leader;
              if (st.name === stream && leader && this.servers.some((n) => n.serverName === leader && n.running)) return leader;
            }
          }
        }
        return undefined;
      },
      { timeout, interval: 100 },
    );
    return this.server(name);
  }

  /** Stops every node and removes their temp dirs. */
  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
  }
}

interface JszStreams {
  account_details?: { name: string; stream_detail?: { name: string; cluster?: { leader?: string } }[] }[];
}
