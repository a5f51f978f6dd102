// Scenarios on one file-store nats-server: the consumer process SIGKILLed mid-drain, the server
// SIGKILLed under publish and consume load, a graceful shutdown under load, the dead-letter stream
// gone while messages exhaust their attempts.
import { NatsServer, resolveNatsServerBinary, waitFor } from '@nest-jetstream/testing';
import { Workload, type FaultReport } from '../workload/workload';
import type { RunOptions } from './sizes';

/** The consumer app's ackWait (FAULT_ACK_WAIT default). */
const ACK_WAIT_MS = 5_000;

async function onServer(
  opts: RunOptions,
  body: (server: NatsServer, w: Workload) => Promise<FaultReport>,
  consumerEnv: Record<string, string> = {},
): Promise<FaultReport> {
  const server = await NatsServer.start({ binary: resolveNatsServerBinary({ ...process.env, NATS_SERVER_VERSION: opts.version }) });
  const w = new Workload({ urls: [server.url], consumerEnv: { FAULT_CONCURRENCY: '8', FAULT_WORK_MS: '2', ...consumerEnv } });
  try {
    return await body(server, w);
  } finally {
    await w.close();
    await server.stop();
  }
}

/** 1. The consumer process SIGKILLed mid-drain (concurrency 8) and started again at once. */
export function consumerCrash(opts: RunOptions): Promise<FaultReport> {
  return onServer(opts, async (server, w) => {
    const consumer = await w.startConsumer();
    return w.faultUnderLoad(
      'consumer process SIGKILLed mid-drain (concurrency 8), restarted',
      server.version,
      { prefix: 'consumer-crash', count: opts.size.messages, window: 64, fraction: 1 / 3, settleMs: opts.size.settleMs },
      async () => {
        await consumer.kill();
        await w.startConsumer();
      },
    );
  });
}

/** 2. The nats-server SIGKILLed under publish and consume load, then restarted on its store. */
export function serverCrash(opts: RunOptions): Promise<FaultReport> {
  return onServer(opts, async (server, w) => {
    await w.startConsumer();
    // A small window: publishing lasts the whole scenario, so the kill lands mid-publish.
    return w.faultUnderLoad(
      'nats-server SIGKILLed under publish + consume load, restarted',
      server.version,
      { prefix: 'server-crash', count: opts.size.messages, window: 4, fraction: 1 / 4, settleMs: opts.size.settleMs },
      async () => {
        await server.kill('SIGKILL');
        await server.restart();
      },
    );
  });
}

/** 6. SIGTERM of the consumer under load: it finishes its handlers and exits; its successor takes the rest. */
export function gracefulShutdown(opts: RunOptions): Promise<FaultReport> {
  return onServer(opts, async (server, w) => {
    const consumer = await w.startConsumer();
    let graceful = '';
    let stoppedAt = 0;
    const report = await w.faultUnderLoad(
      'consumer SIGTERMed under load (graceful), restarted',
      server.version,
      { prefix: 'graceful', count: opts.size.messages, window: 64, fraction: 1 / 3, settleMs: opts.size.settleMs },
      async () => {
        const stopped = await consumer.stop();
        stoppedAt = Date.now();
        graceful = stopped.graceful
          ? 'exited after closing: handlers finished, queue naked, connection drained'
          : `NOT graceful: ${stopped.signal ?? stopped.code}`;
        await w.startConsumer();
      },
    );
    // Messages the server had sent to the stopping process that it never received: they come back
    // only after ackWait (5 s here), first handled then with a delivery count above 1.
    let late = 0;
    for (const { deliveries, at } of w.calls().values()) if (deliveries[0] > 1 && at[0] >= stoppedAt + ACK_WAIT_MS - 500) late++;
    return { ...report, notes: `${graceful}; ${late} message(s) came back only after ackWait` };
  });
}

/** 5. The dead-letter stream deleted while poison messages exhaust their attempts, then put back. */
export function deadLetterOutage(opts: RunOptions): Promise<FaultReport> {
  return onServer(
    opts,
    async (server, w) => {
      const poison = opts.size.poison;
      await w.startConsumer();
      const jsm = await w.jsm();
      const config = (await jsm.streams.info('FAULTS_DEAD')).config;
      await jsm.streams.delete('FAULTS_DEAD');
      // Every 5th message is poison: it fails each attempt and cannot be dead-lettered yet.
      await w.publish('dead-letter-outage', poison * 5, { poison: (i) => i % 5 === 0 });
      await waitFor(
        'every poison message past its attempts',
        () => {
          const calls = w.calls();
          return [...w.poison].every((id) => (calls.get(id)?.deliveries.length ?? 0) >= w.maxDeliver);
        },
        { timeout: 60_000, interval: 100 },
      );
      await jsm.streams.add(config);
      const t = Date.now();
      await w.settle(opts.size.settleMs);
      const dead = await w.deadLetterIds();
      return w.report('dead-letter stream deleted while messages exhaust their attempts, then put back', server.version, {
        notes: `${[...w.poison].filter((id) => dead.has(id)).length} of ${w.poison.size} poison messages dead-lettered once the stream was back (${Date.now() - t} ms after)`,
      });
    },
    { FAULT_ACK_WAIT: '2s' },
  );
}
