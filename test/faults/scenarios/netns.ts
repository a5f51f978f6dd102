// Network namespaces for the partition scenario (root only): one per nats-server node and one for
// the client side, joined by veth pairs to a bridge that lives in a namespace of its own. All
// traffic stays inside the namespaces made here; `destroy()` removes them all.
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export interface NetnsLayout {
  /** Namespace names: the bridge's, each node's, the client's. */
  bridge: string;
  nodes: string[];
  client: string;
  /** Each node's address, and the client's. */
  nodeIps: string[];
  clientIp: string;
}

/** Whether this machine lets us make namespaces (root and `ip netns`). */
export function netnsAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    ip('netns', 'list');
    return true;
  } catch {
    return false;
  }
}

export function createNetns(prefix: string, nodeCount: number): NetnsLayout {
  const bridge = `${prefix}-br`;
  const nodes = Array.from({ length: nodeCount }, (_, i) => `${prefix}-n${i + 1}`);
  const client = `${prefix}-c`;
  const layout: NetnsLayout = { bridge, nodes, client, nodeIps: nodes.map((_, i) => `10.77.0.${i + 1}`), clientIp: '10.77.0.100' };
  try {
    ip('netns', 'add', bridge);
    ip('-n', bridge, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', bridge, 'link', 'set', 'br0', 'up');
    const members: [string, string][] = [...nodes.map((n, i): [string, string] => [n, layout.nodeIps[i]]), [client, layout.clientIp]];
    members.forEach(([ns, addr], i) => {
      ip('netns', 'add', ns);
      // Both ends are made inside the bridge's namespace, then one end moves: nothing touches the host's.
      ip('-n', bridge, 'link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', `p${i}`);
      ip('-n', bridge, 'link', 'set', `v${i}`, 'netns', ns);
      ip('-n', bridge, 'link', 'set', `p${i}`, 'master', 'br0');
      ip('-n', bridge, 'link', 'set', `p${i}`, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', `v${i}`);
      ip('-n', ns, 'link', 'set', `v${i}`, 'up');
    });
    return layout;
  } catch (err) {
    destroyNetns(layout);
    throw err;
  }
}

/** A script that runs `binary` inside namespace `ns` (the launcher runs it as the nats-server binary). */
export function wrapBinary(dir: string, ns: string, binary: string): string {
  const path = join(dir, `nats-server-${ns}.sh`);
  writeFileSync(path, `#!/bin/sh\nexec ip netns exec ${ns} ${binary} "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

/** Cuts node `i` off from every other node, both ways (the client still reaches all). */
export function isolate(layout: NetnsLayout, i: number): void {
  layout.nodeIps.forEach((other, j) => {
    if (j === i) return;
    ip('-n', layout.nodes[i], 'route', 'add', 'blackhole', `${other}/32`);
    ip('-n', layout.nodes[j], 'route', 'add', 'blackhole', `${layout.nodeIps[i]}/32`);
  });
}

export function heal(layout: NetnsLayout, i: number): void {
  layout.nodeIps.forEach((other, j) => {
    if (j === i) return;
    ip('-n', layout.nodes[i], 'route', 'del', 'blackhole', `${other}/32`);
    ip('-n', layout.nodes[j], 'route', 'del', 'blackhole', `${layout.nodeIps[i]}/32`);
  });
}

/** Kills every process still in the namespaces (a driver that died leaves its servers), then removes them. */
export function destroyNetns(layout: NetnsLayout): void {
  for (const ns of [...layout.nodes, layout.client, layout.bridge]) {
    try {
      for (const pid of ip('netns', 'pids', ns).split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // no such namespace, or the process is gone
    }
    try {
      ip('netns', 'del', ns);
    } catch {
      // not made, or already gone
    }
  }
}
