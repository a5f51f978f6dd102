// A singleton handler (priority policy pinned_client) on an R3 stream in a 3-node cluster, two app
// instances (real processes) connected to different nodes: only the one holding the pin handles;
// it is SIGKILLed mid-stream and the other takes over (within takeoverAfter); every acknowledged
// message is handled (what the killed one took and never acked is redelivered after ackWait).
// Fails (throws) when both instances handled before the kill, or the survivor never took over.
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsCluster, NdjsonProcess, resolveNatsServerBinary, waitFor } from '@nest-jetstream/testing';
import type { FaultReport } from '../workload/workload';
import type { RunOptions } from './sizes';

const fixture = join(__dirname, '../../../packages/transport/src/__fixtures__/singleton-consumer.ts');
const register = join(__dirname, '../../../scripts/register.cjs');
type Line = { event: string; pid: number; seq?: number; holder?: string };

/** Messages published before the kill and after it, each. */
const PER_PHASE = (opts: RunOptions) => Math.max(20, Math.round(opts.size.messages / 50));

export async function singletonTakeover(opts: RunOptions): Promise<FaultReport> {
  const cluster = await NatsCluster.start({ binary: resolveNatsServerBinary({ ...process.env, NATS_SERVER_VERSION: opts.version }) });
  const nc = await connect({ servers: cluster.urls });
  const spawn = (url: string) => NdjsonProcess.spawn<Line>(process.execPath, ['-r', register, fixture], { env: { ...process.env, NATS_URL: url } });
  const instances: NdjsonProcess<Line>[] = [];
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'SINGLE', subjects: ['single.>'], num_replicas: 3 });
    const js = jetstream(nc);
    instances.push(spawn(cluster.urls[0]), spawn(cluster.urls[1]));
    const [a, b] = instances;
    await Promise.all(instances.map((p) => p.waitForLine('both instances ready', (l) => l.event === 'ready', { timeout: 120_000 })));
    const calls = () => [...a.lines, ...b.lines].filter((l) => l.event === 'handled' && l.seq !== undefined);
    const handledSeqs = () => new Set(calls().map((l) => l.seq!));
    const acked: number[] = [];
    let published = 0;
    let publishErrors = 0;
    const publish = async (count: number) => {
      for (let i = 0; i < count; i++) {
        published++;
        try {
          acked.push((await js.publish('single.work', '{}', { msgID: `single-${published}` })).seq);
        } catch {
          publishErrors++;
        }
      }
    };
    const n = PER_PHASE(opts);
    await publish(n);
    await waitFor('every message of the first phase handled', () => acked.every((s) => handledSeqs().has(s)), { timeout: opts.size.settleMs });
    const before = new Set(calls().map((l) => l.pid));
    if (before.size !== 1) throw new Error(`singleton broken: ${before.size} instances handled before the kill (expected 1)`);
    const [holder, other] = a.pid !== undefined && before.has(a.pid) ? [a, b] : [b, a];
    const otherCallsBefore = other.lines.filter((l) => l.event === 'handled').length;

    holder.signal('SIGKILL');
    const killedAt = Date.now();
    await publish(n);
    const survivorCalls = () => other.lines.filter((l) => l.event === 'handled').slice(otherCallsBefore);
    await waitFor('the survivor to take over', () => survivorCalls().length > 0, { timeout: opts.size.settleMs }).catch(() => {
      throw new Error('the survivor never took over the singleton handler');
    });
    const recoverMs = Date.now() - killedAt;
    await waitFor('every acknowledged message handled after the takeover', () => acked.every((s) => handledSeqs().has(s)), { timeout: opts.size.settleMs });
    await other.waitForLine('the survivor’s readiness to say it holds the pin', (l) => l.event === 'pin' && l.holder === 'this instance', { timeout: 30_000 });
    await waitFor(
      'nothing left pending',
      async () => {
        const info = await jsm.consumers.info('SINGLE', 'single__single_work');
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      { timeout: opts.size.settleMs },
    );
    const perSeq = new Map<number, number>();
    for (const l of calls()) perSeq.set(l.seq!, (perSeq.get(l.seq!) ?? 0) + 1);
    return {
      scenario: 'singleton handler (pinned_client, R3, two instances on different nodes): the pin holder SIGKILLed',
      server: cluster.servers[0].version,
      published,
      acked: acked.length,
      ackedLost: acked.filter((s) => !perSeq.has(s)).length,
      handled: acked.filter((s) => perSeq.has(s)).length,
      handledMoreThanOnce: [...perSeq.values()].filter((c) => c > 1).length,
      maxCalls: Math.max(0, ...perSeq.values()),
      deadLetters: 0,
      publishErrors,
      notes: `only the pin holder handled before the kill; the survivor took over (takeoverAfter 10 s), handled ${survivorCalls().length} call(s), and its readiness says it holds the pin; its first call came ${(recoverMs / 1000).toFixed(1)} s after the kill (the pin's TTL, takeoverAfter 10 s, not a pause bound)`,
    };
  } finally {
    await Promise.all(instances.map((p) => p.kill()));
    await nc.close();
    await cluster.stop();
  }
}
