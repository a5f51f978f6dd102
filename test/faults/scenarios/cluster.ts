// 3. A 3-node cluster, R3 streams, under publish and consume load: the stream leader SIGKILLed,
// a follower SIGKILLed, the meta leader SIGKILLed, and a rolling restart of all three nodes.
import { ELECTION_SLACK_MS } from '../pause-summary';
import { NatsCluster, resolveNatsServerBinary, type NatsServer } from '@nest-jetstream/testing';
import { ElectionClock } from '../workload/elections';
import { printTimeline } from '../workload/timeline';
import { Workload, type FaultReport } from '../workload/workload';
import type { RunOptions } from './sizes';

/** Stops nodes; `stopping()` just before each stop (the elections are timed from it). */
type Fault = (cluster: NatsCluster, stopping: () => void) => Promise<NatsServer[]>;

/** The R3 stream's leader, SIGKILLed. */
const streamLeader: Fault = async (cluster, stopping) => {
  const leader = await cluster.streamLeader('FAULTS');
  stopping();
  await leader.kill('SIGKILL');
  return [leader];
};

/** A node that leads neither the stream nor the meta group, SIGKILLed. */
const follower: Fault = async (cluster, stopping) => {
  const leader = await cluster.streamLeader('FAULTS');
  const meta = await cluster.waitForMetaLeader();
  const node = cluster.servers.find((s) => s !== leader && s !== meta) ?? cluster.servers.find((s) => s !== leader)!;
  stopping();
  await node.kill('SIGKILL');
  return [node];
};

/** The JetStream meta leader, SIGKILLed. */
const metaLeader: Fault = async (cluster, stopping) => {
  const meta = await cluster.waitForMetaLeader();
  stopping();
  await meta.kill('SIGKILL');
  return [meta];
};

/** Each node in turn stopped (SIGTERM) and started again, the cluster current again before the next. */
const rollingRestart: Fault = async (cluster, stopping) => {
  for (const node of cluster.servers) {
    stopping();
    await node.kill('SIGTERM');
    await node.restart();
    await cluster.waitForPeers();
  }
  return [];
};

export const CLUSTER_FAULTS: { name: string; fault: Fault }[] = [
  { name: 'R3 stream leader SIGKILLed mid-publish and mid-consume', fault: streamLeader },
  { name: 'R3 follower SIGKILLed mid-publish and mid-consume', fault: follower },
  { name: 'meta leader SIGKILLed mid-publish and mid-consume', fault: metaLeader },
  { name: 'rolling restart of all three nodes under load', fault: rollingRestart },
];

export async function clusterFault(opts: RunOptions, { name, fault }: (typeof CLUSTER_FAULTS)[number]): Promise<FaultReport> {
  const cluster = await NatsCluster.start({ binary: resolveNatsServerBinary({ ...process.env, NATS_SERVER_VERSION: opts.version }) });
  const w = new Workload({ urls: cluster.urls, replicas: 3, consumerEnv: { FAULT_CONCURRENCY: '8', FAULT_WORK_MS: '2' } });
  const elections = await ElectionClock.listen(cluster.urls);
  try {
    await w.startConsumer();
    let killed: NatsServer[] = [];
    let faultAt = 0;
    let restartAt = 0;
    // A small window: publishing lasts the whole scenario, so the fault lands mid-publish.
    const report = await w.faultUnderLoad(
      name,
      cluster.servers[0].version,
      { prefix: 'cluster', count: opts.size.messages, window: 4, fraction: 1 / 4, settleMs: opts.size.settleMs },
      async () => {
        faultAt = Date.now();
        killed = await fault(cluster, () => elections.stopping());
      },
      async () => {
        restartAt = Date.now();
        for (const node of killed) await node.restart();
        await cluster.waitForPeers();
      },
    );
    printTimeline(name, w, faultAt, elections.marks());
    // The fault's elections: every one before the killed node was started again, and after that those up to the slack
    // after the judged pause ended (a stored message waited in it): a redelivery (ackWait) can end the pause before the
    // stream's new leader is elected, and one long after the pause (the restarted node's) did not cause it.
    const resumed = w.waitingPauseAfter(faultAt)?.to ?? w.stallEndAfter(faultAt);
    const until = resumed === undefined ? Date.now() : Math.max(restartAt, resumed + ELECTION_SLACK_MS);
    return { ...report, electionMs: elections.electionMs(until) };
  } finally {
    await elections.close();
    await w.close();
    await cluster.stop();
  }
}
