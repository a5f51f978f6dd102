import { LinkProxy } from './link-proxy.js';
import { getMonitorJson, type JszDocument } from './monitor.js';
import { NatsCluster } from './nats-cluster.js';
import type { NatsServer, NatsServerOptions } from './nats-server.js';
import { freePort } from './ports.js';
import { waitFor } from './wait-for.js';

export interface SuperClusterOptions extends Pick<NatsServerOptions, 'binary' | 'host' | 'env' | 'startTimeout' | 'config'> {
  /**
   * Each cluster by name (its gateway name) with one config file per node, e.g.
   * `{ a: ['deploy/nats/topologies/cluster-a.conf'], b: ['deploy/nats/topologies/cluster-b.conf'] }`.
   * Each file has a `cluster` block and a `gateway` block whose `gateways` list takes the other
   * clusters' URLs from `$NATS_GATEWAY_<NAME>_URL` (the first node) or `$NATS_GATEWAY_<NAME>_URL_<i>`
   * (node i, from 1), which the launcher sets to its proxies. Three nodes per cluster:
   * deploy/nats/topologies/cluster-a-1.conf … cluster-b-3.conf.
   */
  clusters: Record<string, string[]>;
  /** User and password in the gateway URLs it sets, when the `gateway` blocks require them. Default none. */
  gatewayAuth?: { user: string; password: string };
}

/**
 * Clusters of real nats-servers joined by gateways (a NATS super-cluster), each node's gateway
 * behind a `LinkProxy` so a test can cut the gateways and heal them.
 */
export class SuperCluster {
  private constructor(
    readonly clusters: NatsCluster[],
    /** One proxy in front of each node's gateway port, by node name. */
    readonly gatewayProxies: Map<string, LinkProxy>,
  ) {}

  /**
   * Starts every node of every cluster, then waits until the JetStream meta group (which spans
   * the clusters) has a leader with every node current and every gateway is connected. Retries
   * with new ports when a port it picked was taken by another process first.
   */
  static async start(options: SuperClusterOptions): Promise<SuperCluster> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await SuperCluster.startOnce(options);
      } catch (err) {
        if (!(err instanceof PortTakenError) || attempt >= 3) throw err instanceof PortTakenError ? err.cause : err;
      }
    }
  }

  private static async startOnce(options: SuperClusterOptions): Promise<SuperCluster> {
    const host = options.host ?? '127.0.0.1';
    const names = Object.keys(options.clusters);
    const proxies = new Map<string, LinkProxy>();
    const byCluster = new Map<string, LinkProxy[]>();
    const gatewayPorts = new Map<string, number[]>();
    for (const name of names) {
      const ports: number[] = [];
      const list: LinkProxy[] = [];
      for (let i = 0; i < options.clusters[name].length; i++) {
        ports.push(await freePort(host));
        list.push(await LinkProxy.start(`gateway of ${name} node ${i + 1}`, ports[i], host));
      }
      gatewayPorts.set(name, ports);
      byCluster.set(name, list);
    }
    const userInfo = options.gatewayAuth ? `${encodeURIComponent(options.gatewayAuth.user)}:${encodeURIComponent(options.gatewayAuth.password)}@` : '';
    const urlEnv: Record<string, string> = {};
    for (const name of names) {
      // One variable is one value: the first node's proxy stands for the cluster (gossip finds the
      // others), and `_URL_<i>` names each node's, for configs that list every node.
      const list = byCluster.get(name)!;
      urlEnv[`NATS_GATEWAY_${name.toUpperCase()}_URL`] = `nats://${userInfo}${list[0].address}`;
      list.forEach((p, i) => (urlEnv[`NATS_GATEWAY_${name.toUpperCase()}_URL_${i + 1}`] = `nats://${userInfo}${p.address}`));
    }
    const clusters: NatsCluster[] = [];
    try {
      for (const name of names) {
        const { clusters: _c, gatewayAuth: _g, ...common } = options;
        clusters.push(
          await NatsCluster.prepare({ ...common, name, configFiles: options.clusters[name], env: { ...options.env, ...urlEnv } }, (i) => ({
            ports: { gateway: gatewayPorts.get(name)![i] },
            advertise: { gateway: byCluster.get(name)![i].address },
          })),
        );
      }
      clusters.forEach((c, ci) => c.servers.forEach((s, i) => proxies.set(s.serverName, byCluster.get(names[ci])![i])));
      const superCluster = new SuperCluster(clusters, proxies);
      try {
        await Promise.all(superCluster.servers.map((s) => s.launch()));
        await superCluster.waitForGateways(options.startTimeout);
        await superCluster.waitForPeers(options.startTimeout);
        return superCluster;
      } catch (err) {
        const portTaken = superCluster.servers.some((s) => /address already in use/i.test(s.logTail()));
        await superCluster.stop();
        throw portTaken ? new PortTakenError(err) : err;
      }
    } catch (err) {
      await Promise.all([...byCluster.values()].flat().map((p) => p.stop()));
      await Promise.all(clusters.map((c) => c.stop()));
      throw err;
    }
  }

  /** Every node of every cluster. */
  get servers(): NatsServer[] {
    return this.clusters.flatMap((c) => c.servers);
  }

  cluster(name: string): NatsCluster {
    const found = this.clusters.find((c) => c.name === name);
    if (!found) throw new Error(`No cluster named ${name} in the super-cluster: ${this.clusters.map((c) => c.name).join(', ')}`);
    return found;
  }

  /** The node named `serverName` (its config's `server_name`), in whichever cluster: to `kill()` or `restart()` it. */
  server(serverName: string): NatsServer {
    const found = this.servers.find((s) => s.serverName === serverName);
    if (!found) throw new Error(`No node named ${serverName} in the super-cluster: ${this.servers.map((s) => s.serverName).join(', ')}`);
    return found;
  }

  /**
   * Cuts the gateways into and out of cluster `name` (every cluster when omitted): its proxies drop
   * every connection and refuse new ones, so no message crosses until `healGateways()`.
   */
  cutGateways(name?: string): void {
    for (const proxy of this.proxiesOf(name)) proxy.cut();
  }

  /** Lets gateway connections through again (of cluster `name`, or all); `waitForGateways()` waits for them. */
  healGateways(name?: string): void {
    for (const proxy of this.proxiesOf(name)) proxy.heal();
  }

  /**
   * Waits until every running node has its outbound gateway to every other cluster, and each
   * cluster has an inbound one from every running node of the others (a node opens one outbound
   * gateway per other cluster, to any one of its nodes: a node may have no inbound one).
   */
  async waitForGateways(timeout = 30_000): Promise<void> {
    const names = this.clusters.map((c) => c.name);
    await waitFor(
      `every node of clusters ${names.join(', ')} to have its gateways to the other clusters`,
      async () => {
        const inbound = new Map<string, number>();
        for (const cluster of this.clusters) {
          const others = names.filter((n) => n !== cluster.name);
          for (const s of cluster.servers.filter((n) => n.running)) {
            const { body } = await getMonitorJson<GatewayzDocument>(s.host, s.ports.monitor, '/gatewayz');
            if (!others.every((o) => body.outbound_gateways?.[o] !== undefined)) return false;
            for (const [from, conns] of Object.entries(body.inbound_gateways ?? {}))
              inbound.set(`${from}>${cluster.name}`, (inbound.get(`${from}>${cluster.name}`) ?? 0) + conns.length);
          }
        }
        return this.clusters.every((from) =>
          names.filter((n) => n !== from.name).every((to) => (inbound.get(`${from.name}>${to}`) ?? 0) >= from.servers.filter((n) => n.running).length),
        );
      },
      { timeout, interval: 100 },
    );
  }

  /** Waits until every running node sees the same JetStream meta leader, and it sees every other node current. */
  async waitForPeers(timeout = 30_000): Promise<void> {
    await waitFor(
      'every node of the super-cluster to be a current JetStream peer of one meta leader',
      async () => {
        const running = this.servers.filter((s) => s.running);
        const views = await Promise.all(running.map((s) => getMonitorJson<JszDocument>(s.host, s.ports.monitor, '/jsz').then((r) => r.body)));
        const leaderName = views[0]?.meta_cluster?.leader;
        if (!leaderName || !views.every((v) => v.meta_cluster?.leader === leaderName)) return false;
        const leader = running.find((s) => s.serverName === leaderName);
        if (!leader) return false;
        const peers = views[running.indexOf(leader)].meta_cluster?.replicas ?? [];
        return peers.filter((p) => p.current && !p.offline).length === running.length - 1;
      },
      { timeout, interval: 100 },
    );
  }

  /** Stops every node and every proxy, and removes the temp dirs. */
  async stop(): Promise<void> {
    await Promise.all([...this.clusters.map((c) => c.stop()), ...[...this.gatewayProxies.values()].map((p) => p.stop())]);
  }

  private proxiesOf(name: string | undefined): LinkProxy[] {
    const servers = name === undefined ? this.servers : this.cluster(name).servers;
    return servers.map((s) => this.gatewayProxies.get(s.serverName)!);
  }
}

/** A node could not bind a port the launcher picked (another process took it first): start again with new ones. */
class PortTakenError extends Error {
  constructor(cause: unknown) {
    super('A port the super-cluster launcher picked was taken before a node bound it', { cause });
    this.name = 'PortTakenError';
  }
}

interface GatewayzDocument {
  outbound_gateways?: Record<string, unknown>;
  /** The connections from each other cluster's nodes. */
  inbound_gateways?: Record<string, unknown[]>;
}
