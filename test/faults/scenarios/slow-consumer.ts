// 7. A slow consumer facing a large backlog: the process's memory stays flat and what it holds
// unacknowledged stays bounded by concurrency + prefetch, whatever the backlog.
import { readFileSync } from 'node:fs';
import { NatsServer, resolveNatsServerBinary, waitFor } from '@nest-jetstream/testing';
import { Workload, type FaultReport } from '../workload/workload';
import type { RunOptions } from './sizes';

export interface SlowConsumerFigures {
  report: FaultReport;
  /** RSS of the consumer process, MB: after it handled its first 2 %, and the most seen after that. */
  rssStartMb: number;
  rssMaxMb: number;
  /** The most num_ack_pending the server reported while the backlog drained. */
  maxAckPending: number;
  /** concurrency + prefetch of the handler. */
  bound: number;
}

const rssMb = (pid: number): number => {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
};

export async function slowConsumer(opts: RunOptions): Promise<SlowConsumerFigures> {
  const server = await NatsServer.start({ binary: resolveNatsServerBinary({ ...process.env, NATS_SERVER_VERSION: opts.version }) });
  const concurrency = 8;
  // The default maxAckPending: the adaptive window holds about a second of work (8 × 1 ms handlers: about
  // 8,000 messages), capped at maxAckPending − concurrency, so concurrency + window stays within it.
  const bound = 1000;
  const w = new Workload({ urls: [server.url], consumerEnv: { FAULT_CONCURRENCY: String(concurrency), FAULT_WORK_MS: '1' } });
  try {
    const n = opts.size.backlog;
    // The backlog is there before the consumer starts (a first start provisions the stream).
    const first = await w.startConsumer();
    await first.stop();
    await w.publish('backlog', n, { window: 256 });
    const consumer = await w.startConsumer();
    const pid = consumer.pid!;
    const jsm = await w.jsm();
    await waitFor('2 % of the backlog handled', () => w.handledCount() >= n / 50, { timeout: 60_000, interval: 20 });
    const rssStartMb = rssMb(pid);
    let rssMaxMb = rssStartMb;
    let maxAckPending = 0;
    await waitFor(
      'the backlog drained',
      async () => {
        rssMaxMb = Math.max(rssMaxMb, rssMb(pid));
        const info = await jsm.consumers.info('FAULTS', 'faults__faults_work').catch(() => undefined);
        if (info) maxAckPending = Math.max(maxAckPending, info.num_ack_pending);
        return w.handledCount() >= n;
      },
      { timeout: opts.size.settleMs + n, interval: 250 },
    ).catch(() => undefined);
    const report = await w.report(`slow consumer (8 × 1 ms handlers), backlog of ${n}`, server.version, {
      notes: `RSS ${rssStartMb.toFixed(0)} MB after 2 %, at most ${rssMaxMb.toFixed(0)} MB; num_ack_pending at most ${maxAckPending} (concurrency + the prefetch window's cap = the default maxAckPending, ${bound})`,
    });
    return { report, rssStartMb, rssMaxMb, maxAckPending, bound };
  } finally {
    await w.close();
    await server.stop();
  }
}
