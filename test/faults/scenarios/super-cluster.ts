// A super-cluster of two 3-node clusters joined by gateways (deploy/nats/topologies/cluster-a-1.conf
// … cluster-b-3.conf, with their authorization and sync_interval: always): the consumer app,
// connected to cluster a, declares its R3 stream placed in cluster b and an R3 mirror of it in a;
// the workload publishes to it from a. Mid-load the gateways are cut for CUT_MS while both sides
// publish to their own streams (b to the stream in b, a to an R3 stream in a), then healed.
// Nothing acknowledged may be lost: every id handled, the stream in a holds every id a
// acknowledged, the mirror catches up. The pauses are measured from the heal (during the cut the
// service cannot reach its stream in b by design), and the mirror's catch-up time too. The PubAck
// pause is a's publishes to the stream in b (b's own publishes are counted in the notes).
import { SuperCluster, resolveNatsServerBinary, waitFor } from '@nest-jetstream/testing';
import { JetStreamClient } from '@nest-jetstream/transport';
import { join } from 'node:path';
import { Workload, type FaultReport } from '../workload/workload';
import type { RunOptions } from './sizes';

const DIR = join(__dirname, '../../../deploy/nats/topologies');
const ENV = { NATS_ADMIN_PASSWORD: 'admin-pw', NATS_SERVICE_PASSWORD: 'svc-pw', NATS_SYS_PASSWORD: 'sys-pw', NATS_GATEWAY_PASSWORD: 'gw-pw' };
const AUTH = { user: 'admin', pass: 'admin-pw' };
/** How long the gateways stay cut, in ms. */
const CUT_MS = Number(process.env.FAULTS_CUT_MS ?? 5_000);
/** Messages the workload publishes from a to the stream in b (fewer than the other scenarios: every publish crosses the gateway). */
const MESSAGES = 3_000;
/** The stream in cluster a that a's side publishes to during the cut. */
const LOCAL = 'FAULTS_LOCAL_A';

const secs = (ms?: number): string => (ms === undefined ? 'none' : `${(ms / 1000).toFixed(1)} s`);

export const SUPER_CLUSTER_SCENARIO = 'super-cluster (two 3-node clusters): gateways cut mid-load, both sides publishing';

/** The scenario `repeat` times (FAULTS_REPEAT), each on a new super-cluster. */
export async function superClusterGatewayCuts(opts: RunOptions, repeat: number): Promise<FaultReport[]> {
  const out: FaultReport[] = [];
  for (let i = 0; i < repeat; i++) out.push(await superClusterGatewayCut(opts));
  return out;
}

export async function superClusterGatewayCut(opts: RunOptions): Promise<FaultReport> {
  const nodes = (c: string) => [1, 2, 3].map((i) => join(DIR, `cluster-${c}-${i}.conf`));
  const sc = await SuperCluster.start({
    binary: resolveNatsServerBinary({ ...process.env, NATS_SERVER_VERSION: opts.version }),
    clusters: { a: nodes('a'), b: nodes('b') },
    env: ENV,
    gatewayAuth: { user: 'gateway', password: 'gw-pw' },
    startTimeout: 60_000,
  });
  const urlsA = sc.cluster('a').urls;
  const w = new Workload({
    urls: urlsA,
    replicas: 3,
    auth: AUTH,
    consumerEnv: { FAULT_CONCURRENCY: '8', FAULT_WORK_MS: '2', FAULT_PLACEMENT: 'b', FAULT_MIRROR_PLACEMENT: 'a' },
  });
  const onB = new JetStreamClient({ connection: { servers: sc.cluster('b').urls, maxReconnectAttempts: -1, ...AUTH }, provisioning: 'off' });
  const onA = new JetStreamClient({ connection: { servers: urlsA, maxReconnectAttempts: -1, ...AUTH }, provisioning: 'off' });
  try {
    await w.startConsumer();
    const jsm = await w.jsm();
    // Under load the first API calls after the meta group formed can time out: retried (adding it again is idempotent).
    await waitFor(
      `stream ${LOCAL} placed in cluster a`,
      () => jsm.streams.add({ name: LOCAL, subjects: ['faults-local.>'], num_replicas: 3, placement: { cluster: 'a', tags: [] } }).catch(() => undefined),
      { timeout: 60_000 },
    );
    const local = { acked: new Set<string>(), failed: 0 };
    const publishLocal = (id: string) =>
      onA.publish('faults-local.x', { id }, { msgId: id }).then(
        () => void local.acked.add(id),
        () => void local.failed++,
      );
    // b's publishes to the work stream: handled like the workload's, not counted in its PubAck pause (a's publishes across the gateway).
    let bFailed = 0;
    const publishB = (id: string) => {
      w.published++;
      return onB.publish('faults.work', { id }, { msgId: id }).then(
        () => void w.acked.add(id),
        () => {
          w.failed.add(id);
          bFailed++;
        },
      );
    };
    // Each side's client connected and its first publish done before the cut: a client's first use
    // asks the JetStream API (answered by the meta leader, which may be in the other cluster).
    await publishLocal('a-side-first');
    await publishB('b-side-first');
    const count = Math.min(opts.size.messages, MESSAGES);
    const publishing = w.publish('sc', count, { window: 4 });
    await waitFor('a quarter of the messages handled', () => w.handledCount() >= count / 4, { timeout: 120_000, interval: 20 });
    const cutAt = Date.now();
    sc.cutGateways();
    // Both sides publish to their own side's stream while the gateways are down.
    const duringCut = async (side: string, publishOne: (id: string) => Promise<void>): Promise<void> => {
      for (let i = 0; Date.now() - cutAt < CUT_MS; i++) await publishOne(`${side}-${i}`);
    };
    await Promise.all([duringCut('b-side', publishB), duringCut('a-side', publishLocal)]);
    sc.healGateways();
    const healAt = Date.now();
    await sc.waitForGateways(60_000);
    const mirrorCaughtUp = mirrorCatchUp(w, healAt, opts.size.settleMs);
    await publishing;
    await w.settle(opts.size.settleMs);
    const caughtUpMs = await mirrorCaughtUp;
    const mirror = await mirrorMissing(w);
    const stored = (await jsm.streams.info(LOCAL)).state.messages;
    const localLost = Math.max(0, local.acked.size - stored);
    const report = await w.report(SUPER_CLUSTER_SCENARIO, sc.servers[0].version, {
      recoverMs: w.longestStallAfter(healAt),
      waitMs: w.longestWaitAfter(healAt),
      publishPauseMs: w.longestPublishPauseAfter(healAt),
      notes: [
        `gateways cut ${((healAt - cutAt) / 1000).toFixed(1)} s; pauses measured from the heal (from the cut: handling ${secs(w.longestStallAfter(cutAt))}, PubAcks ${secs(w.longestPublishPauseAfter(cutAt))})`,
        `b published ${[...w.acked].filter((id) => id.startsWith('b-side-') && id !== 'b-side-first').length} acked (${bFailed} failed) to its stream during the cut`,
        `a published ${local.acked.size - 1} acked (${local.failed} failed) to its own stream during the cut, ${stored - 1} stored`,
        caughtUpMs === undefined
          ? 'mirror did NOT catch up with the cut'
          : `mirror in a caught up with the cut ${(caughtUpMs / 1000).toFixed(1)} s after the heal`,
        mirror.missing === 0
          ? `mirror holds all ${mirror.messages} messages at the end`
          : `mirror MISSING ${mirror.missing} of ${mirror.messages + mirror.missing}`,
      ].join('; '),
    });
    return { ...report, ackedLost: report.ackedLost + localLost + mirror.missing };
  } finally {
    await w.close();
    await onA.close().catch(() => undefined);
    await onB.close().catch(() => undefined);
    await sc.stop();
  }
}

/**
 * Time from the heal until the mirror holds as many messages as its source held once the gateways
 * were back (the messages of the cut), in ms; undefined if not within `timeout`.
 */
async function mirrorCatchUp(w: Workload, healAt: number, timeout: number): Promise<number | undefined> {
  const jsm = await w.jsm();
  const target = await waitFor('the source in b to answer after the heal', () => jsm.streams.info('FAULTS').catch(() => undefined), { timeout });
  const at = await waitFor(
    'the mirror in a to catch up with the cut',
    async () => {
      const mirror = await jsm.streams.info('FAULTS_MIRROR').catch(() => undefined);
      return (mirror?.state.last_seq ?? 0) >= target.state.last_seq ? Date.now() : undefined;
    },
    { timeout, interval: 100 },
  ).catch(() => undefined);
  return at === undefined ? undefined : at - healAt;
}

/** At the end: how many messages the mirror holds and how many of its source's it lacks. */
async function mirrorMissing(w: Workload): Promise<{ messages: number; missing: number }> {
  const jsm = await w.jsm();
  const read = async () => {
    const [source, mirror] = await Promise.all([jsm.streams.info('FAULTS'), jsm.streams.info('FAULTS_MIRROR')]);
    return { messages: mirror.state.messages, missing: Math.max(0, source.state.messages - mirror.state.messages) };
  };
  // Publishing has ended: the mirror's last messages may still be on their way.
  return (
    (await waitFor('the mirror to hold every message of its source', async () => ((await read()).missing === 0 ? read() : undefined), {
      timeout: 60_000,
    }).catch(() => undefined)) ?? read()
  );
}
