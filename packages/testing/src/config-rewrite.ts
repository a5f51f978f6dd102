/** Where a node of a config-file cluster listens on this machine. */
export interface LoopbackPorts {
  host: string;
  client: number;
  monitor: number;
  /** 0 when the server is not in a cluster. */
  cluster: number;
  /** Route ports of the other nodes. */
  routes: number[];
  /** The `gateway` block's port, 0 or absent to leave it as written. */
  gateway?: number;
  /** The `leafnodes` block's port (where leaf nodes connect), 0 or absent to leave it as written. */
  leafnode?: number;
  /** Settings to leave out (commented), e.g. `sync_interval` for a server older than 2.10, which refuses it. */
  leaveOut?: string[];
  /** Addresses (`host:port`) the `gateway` and `leafnodes` blocks advertise: a proxy in front of them. */
  advertise?: { gateway?: string; leafnode?: string };
  storeDir: string;
  /**
   * Reads an `include`d file (its path as written, relative to the file's folder): its text
   * replaces the `include` line, since nats-server reads includes relative to the config it
   * loads, which moves. Default: includes stay as written.
   */
  readInclude?: (path: string) => string;
}

/**
 * Rewrites a nats-server config file written for containers (ports 4222/8222/6222, routes by
 * host name, a store under /data) to run on loopback: top-level `port` and `http_port`, the
 * cluster block's `port` and `routes`, the `gateway` and `leafnodes` blocks' `port` (and an
 * `advertise` after it), and `store_dir` change, and `include`s are inlined with `readInclude`;
 * everything else stays as written.
 * Handles the plain `key: value` and `block { }` style of deploy/nats/*.conf. Pure.
 */
export function rewriteForLoopback(text: string, p: LoopbackPorts): string {
  const out: string[] = [];
  const blocks: string[] = [];
  let inRoutes = false;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (inRoutes) {
      if (trimmed.startsWith(']')) inRoutes = false;
      continue;
    }
    const block = /^([A-Za-z_]+)\s*[:=]?\s*\{\s*$/.exec(trimmed);
    if (block) {
      blocks.push(block[1]);
      out.push(line);
      continue;
    }
    if (trimmed.startsWith('}')) {
      blocks.pop();
      out.push(line);
      continue;
    }
    const where = blocks.at(-1) ?? '';
    const indent = line.slice(0, line.length - line.trimStart().length);
    const key = /^([A-Za-z_]+)\s*[:=]/.exec(trimmed)?.[1];
    const include = /^include\s+"?([^"\s#]+)"?/.exec(trimmed)?.[1];
    if (include !== undefined && p.readInclude) {
      out.push(`${indent}# ${trimmed}`, p.readInclude(include));
      continue;
    }
    if (key !== undefined && p.leaveOut?.includes(key)) {
      out.push(`${indent}# left out for this server version: ${trimmed}`);
      continue;
    }
    if (where === '' && key === 'port') out.push(`${indent}listen: "${p.host}:${p.client}"`);
    else if (where === '' && (key === 'http_port' || key === 'http')) out.push(`${indent}http: "${p.host}:${p.monitor}"`);
    else if (where === 'jetstream' && key === 'store_dir') out.push(`${indent}store_dir: "${p.storeDir}"`);
    else if (where === 'cluster' && (key === 'port' || key === 'listen')) out.push(`${indent}listen: "${p.host}:${p.cluster}"`);
    else if (where === 'gateway' && p.gateway && (key === 'port' || key === 'listen'))
      out.push(...listenLines(indent, p.host, p.gateway, p.advertise?.gateway));
    else if (where === 'leafnodes' && p.leafnode && (key === 'port' || key === 'listen'))
      out.push(...listenLines(indent, p.host, p.leafnode, p.advertise?.leafnode));
    else if ((where === 'gateway' || where === 'leafnodes') && key === 'advertise' && p.advertise) continue;
    else if (where === 'cluster' && key === 'routes') {
      out.push(`${indent}routes: [${p.routes.map((r) => `"nats-route://${p.host}:${r}"`).join(', ')}]`);
      if (!trimmed.includes(']')) inRoutes = true;
    } else out.push(line);
  }
  return out.join('\n');
}

function listenLines(indent: string, host: string, port: number, advertise: string | undefined): string[] {
  const listen = `${indent}listen: "${host}:${port}"`;
  return advertise ? [listen, `${indent}advertise: "${advertise}"`] : [listen];
}

/** `server_name` of a config file, if it sets one. */
export function configServerName(text: string): string | undefined {
  return /^\s*server_name\s*[:=]\s*"?([^"\s#]+)"?/m.exec(text)?.[1];
}
