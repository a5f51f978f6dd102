import { LinkProxy } from './link-proxy.js';
import { getMonitorJson, type JszDocument } from './monitor.js';
import { NatsServer, type NatsServerOptions } from './nats-server.js';
import { freePort } from './ports.js';
import { waitFor } from './wait-for.js';

export interface HubAndLeafOptions extends Pick<NatsServerOptions, 'binary' | 'host' | 'env' | 'startTimeout' | 'config'> {
  /** The hub's config file (e.g. deploy/nats/topologies/hub.conf): a `leafnodes` block with a `port`. */
  hubConfigFile: string;
  /**
   * The leaf's config file (e.g. deploy/nats/topologies/leaf.conf): a `leafnodes { remotes }` block
   * whose URL is `$NATS_HUB_LEAF_URL`, which the launcher sets to its proxy in front of the hub.
   */
  leafConfigFile: string;
  /** User and password in the hub URL it sets, when the hub's `leafnodes` block requires them. Default none. */
  leafAuth?: { user: string; password: string };
}

/** The environment variable the leaf's config reads the hub's URL from. */
export const HUB_LEAF_URL_ENV = 'NATS_HUB_LEAF_URL';

/**
 * A hub nats-server and a leaf node connected to it through a `LinkProxy`, each from its own
 * config file (each with a JetStream domain of its own in deploy/nats/topologies), so a test can
 * cut the leaf link and heal it.
 */
export class HubAndLeaf {
  private constructor(
    readonly hub: NatsServer,
    readonly leaf: NatsServer,
    /** The proxy in front of the hub's leafnode port. */
    readonly leafLink: LinkProxy,
  ) {}

  /** Starts the hub, then the leaf, and waits until the leaf is connected to the hub. */
  static async start(options: HubAndLeafOptions): Promise<HubAndLeaf> {
    const host = options.host ?? '127.0.0.1';
    const { hubConfigFile, leafConfigFile, leafAuth, ...common } = options;
    const leafnodePort = await freePort(host);
    const proxy = await LinkProxy.start('leaf link to the hub', leafnodePort, host);
    const userInfo = leafAuth ? `${encodeURIComponent(leafAuth.user)}:${encodeURIComponent(leafAuth.password)}@` : '';
    const env = { ...options.env, [HUB_LEAF_URL_ENV]: `nats-leaf://${userInfo}${proxy.address}` };
    const servers: NatsServer[] = [];
    try {
      servers.push(
        await NatsServer.start({ ...common, env, configFile: hubConfigFile, ports: { leafnode: leafnodePort }, advertise: { leafnode: proxy.address } }),
      );
      servers.push(await NatsServer.start({ ...common, env, configFile: leafConfigFile }));
      const topology = new HubAndLeaf(servers[0], servers[1], proxy);
      await topology.waitForLeafLink(options.startTimeout);
      return topology;
    } catch (err) {
      await Promise.all([...servers.map((s) => s.stop()), proxy.stop()]);
      throw err;
    }
  }

  /** Drops the leaf's connection to the hub and refuses new ones until `healLeafLink()`. Both keep running. */
  cutLeafLink(): void {
    this.leafLink.cut();
  }

  /** Lets the leaf reconnect (it retries every second by default); `waitForLeafLink()` waits for it. */
  healLeafLink(): void {
    this.leafLink.heal();
  }

  /**
   * Waits until the hub reports the leaf node connected and, when the leaf has a JetStream domain,
   * until the hub has the leaf's interest in that domain's API (`$JS.<domain>.API.INFO`): the link
   * counts as connected a moment before the leaf's subscriptions reach the hub, and a request for the
   * domain sent from the hub in between gets no responders.
   */
  async waitForLeafLink(timeout = 30_000): Promise<void> {
    const domain = await this.leafDomain();
    const api = domain === undefined ? undefined : `$JS.${domain}.API.INFO`;
    await waitFor(
      `leaf node ${this.leaf.serverName} to be connected to hub ${this.hub.serverName}${api ? ` with ${api} routed to it` : ''}`,
      async () => {
        const { body } = await getMonitorJson<LeafzDocument>(this.hub.host, this.hub.ports.monitor, '/leafz?subs=1');
        if ((body.leafnodes ?? 0) === 0) return false;
        return api === undefined || (body.leafs ?? []).some((l) => l.subscriptions_list?.includes(api));
      },
      { timeout, interval: 100 },
    );
  }

  /** The leaf's JetStream domain, if it has JetStream and one. */
  private async leafDomain(): Promise<string | undefined> {
    const { body } = await getMonitorJson<JszDocument>(this.leaf.host, this.leaf.ports.monitor, '/jsz');
    return body.config?.domain || undefined;
  }

  /** Stops both servers and the proxy, and removes the temp dirs. */
  async stop(): Promise<void> {
    await Promise.all([this.leaf.stop(), this.hub.stop(), this.leafLink.stop()]);
  }
}

interface LeafzDocument {
  leafnodes?: number;
  leafs?: { subscriptions_list?: string[] }[];
}
