// A fault scenario's workload: unique ids published with msgId through our JetStreamClient (each
// PubAck recorded, each error the caller saw counted), a consumer app in a child process that can
// be killed (consumer-app.ts, every handler call recorded in a file), and the figures at the end.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { waitFor } from '@nest-jetstream/testing';
import { JetStreamClient, readDeadLetter } from '@nest-jetstream/transport';
import { ServiceProcess } from '../../../examples/demo/service-process';
import { longestWaitingPause, type WaitingPause } from './waits';

/** What one scenario shows: the columns of docs/reliability.md. */
export interface FaultReport {
  scenario: string;
  server: string;
  /** Publishes attempted. */
  published: number;
  /** Publishes the server acknowledged (PubAck) to the caller. */
  acked: number;
  /** Acknowledged, then never handled nor dead-lettered: must be 0. */
  ackedLost: number;
  /** Acknowledged messages handled at least once (poison ones excluded: they are dead-lettered). */
  handled: number;
  /** Messages whose handler ran more than once (at-least-once: after a crash, expected). */
  handledMoreThanOnce: number;
  /** The most handler calls of any one message (a hot loop shows here; bounded by maxDeliver). */
  maxCalls: number;
  deadLetters: number;
  /** Publishes that failed to the caller (never acknowledged: the caller knows, nothing is lost). */
  publishErrors: number;
  /** The longest pause in handling from the fault on, in ms (see `longestPause`). */
  recoverMs?: number;
  /**
   * The consumer's share of `recoverMs`: the longest time from the fault on that a stored message waited for its
   * first handling while no handler ran, in ms (`longestWaitAfter`). The rest of a pause had nothing stored to handle
   * (the publishers' pause, `publishPauseMs`).
   */
  waitMs?: number;
  /** The longest pause between PubAcks from the fault on, in ms, while publishing went on. */
  publishPauseMs?: number;
  /** The server's election after the fault, in ms (`elections.ts`; the partition: the majority's new stream leader); 0 when none was needed. */
  electionMs?: number;
  /** What else the scenario measured (e.g. RSS, ack pending). */
  notes?: string;
}

export interface WorkloadOptions {
  urls: string[];
  /** The stream's replicas (3 on a cluster). Default 1. */
  replicas?: number;
  /** Environment of the consumer app (FAULT_CONCURRENCY, FAULT_WORK_MS, FAULT_MAX_DELIVER, FAULT_ACK_WAIT). */
  consumerEnv?: Record<string, string>;
  /** The handler's maxDeliver (FAULT_MAX_DELIVER). Default 3. */
  maxDeliver?: number;
  /** User and password of every connection (the client's, the manager's, the consumer app's), when the servers require them. Default none. */
  auth?: { user: string; pass: string };
}

const ENTRY = join(__dirname, 'consumer-app.ts');

export class Workload {
  readonly dir = mkdtempSync(join(tmpdir(), 'faults-'));
  readonly recordFile = join(this.dir, 'calls.log');
  readonly acked = new Set<string>();
  /** When each PubAck came (ms since epoch). */
  readonly ackTimes: number[] = [];
  readonly poison = new Set<string>();
  /** Ids whose publish failed to the caller. */
  readonly failed = new Set<string>();
  published = 0;
  /** Dead letters read so far (stream sequence → id), and those without a reason (must stay 0). */
  private readonly deadSeen = new Map<number, string>();
  private deadReadTo = 0;
  private deadStreamCreated?: string;
  deadWithoutReason = 0;
  readonly client: JetStreamClient;
  private nc?: NatsConnection;
  private jsmCache?: JetStreamManager;
  private consumers: ServiceProcess[] = [];

  constructor(private readonly options: WorkloadOptions) {
    writeFileSync(this.recordFile, '');
    this.client = new JetStreamClient({ connection: { servers: options.urls, maxReconnectAttempts: -1, ...options.auth } });
  }

  get maxDeliver(): number {
    return this.options.maxDeliver ?? 3;
  }

  /** Starts a consumer app process (it provisions the streams and its durable). */
  async startConsumer(extraEnv: Record<string, string> = {}): Promise<ServiceProcess> {
    const env = {
      NATS_URLS: this.options.urls.join(','),
      FAULT_RECORD: this.recordFile,
      FAULT_REPLICAS: String(this.options.replicas ?? 1),
      FAULT_MAX_DELIVER: String(this.maxDeliver),
      ...(this.options.auth ? { NATS_USER: this.options.auth.user, NATS_PASS: this.options.auth.pass } : {}),
      ...this.options.consumerEnv,
      ...extraEnv,
    };
    // --expose-gc: GET /debug/memory (FAULT_HEALTH=1) collects garbage before it measures the heap.
    const proc = await new ServiceProcess('fault-consumer', env, ENTRY, ['--expose-gc']).start(60_000);
    this.consumers.push(proc);
    return proc;
  }

  /**
   * Publishes `count` new ids (`<prefix>-<i>`) with msgId, `window` in flight; poison ones when
   * `poison(i)`. The payload is `{ id, poison }` unless `payload` gives another (raw bytes, say).
   */
  async publish(
    prefix: string,
    count: number,
    {
      window = 64,
      poison = () => false,
      client = this.client,
      payload = (id: string, isPoison: boolean) => ({ id, poison: isPoison || undefined }),
    }: { window?: number; poison?: (i: number) => boolean; client?: JetStreamClient; payload?: (id: string, isPoison: boolean, i: number) => unknown } = {},
  ): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: window }, async () => {
        while (next < count) {
          const i = next++;
          const id = `${prefix}-${i}`;
          const isPoison = poison(i);
          if (isPoison) this.poison.add(id);
          this.published++;
          try {
            await client.publish('faults.work', payload(id, isPoison, i), { msgId: id });
            this.acked.add(id);
            this.ackTimes.push(Date.now());
          } catch {
            this.failed.add(id);
          }
        }
      }),
    );
  }

  /**
   * The common shape of a fault under load: publish `count` ids (`window` in flight), run `fault`
   * once `fraction` of them were handled, wait for the publishing to end, run `after` (a restart),
   * let everything settle, and report with the pauses measured from the fault on.
   */
  async faultUnderLoad(
    scenario: string,
    server: string,
    { prefix, count, window, fraction, settleMs }: { prefix: string; count: number; window: number; fraction: number; settleMs: number },
    fault: () => Promise<void>,
    after: () => Promise<void> = async () => undefined,
  ): Promise<FaultReport> {
    const publishing = this.publish(prefix, count, { window });
    await waitFor(`${Math.round(fraction * 100)} % of the messages handled`, () => this.handledCount() >= count * fraction, { timeout: 60_000, interval: 20 });
    const t = Date.now();
    await fault();
    await publishing;
    await after();
    await this.settle(settleMs);
    const waiting = this.waitingPauseAfter(t);
    return this.report(scenario, server, {
      recoverMs: this.longestStallAfter(t),
      waitMs: waiting?.waitMs,
      publishPauseMs: this.longestPublishPauseAfter(t),
      notes: Workload.lostDeliveryNote(waiting),
    });
  }

  /** Every handler call so far: id → the delivery counts seen, the time of each call, and when the stream stored it. */
  calls(): Map<string, { deliveries: number[]; at: number[]; storedAt: number }> {
    const out = new Map<string, { deliveries: number[]; at: number[]; storedAt: number }>();
    for (const line of readFileSync(this.recordFile, 'utf8').split('\n')) {
      const [id, delivery, at, stored] = line.split(' ');
      if (!at) continue;
      const c = out.get(id) ?? { deliveries: [], at: [], storedAt: Number(stored ?? at) };
      c.deliveries.push(Number(delivery));
      c.at.push(Number(at));
      out.set(id, c);
    }
    return out;
  }

  /** How many acknowledged non-poison ids were handled at least once. */
  handledCount(): number {
    const calls = this.calls();
    let n = 0;
    for (const id of this.acked) if (!this.poison.has(id) && calls.has(id)) n++;
    return n;
  }

  /**
   * Time to recover from a fault at `t` (ms since epoch): the longest pause in handler calls from
   * `t` to the last call (a killed consumer's restart, a leader election, a reconnect).
   */
  longestStallAfter(t: number): number | undefined {
    const gap = longestGap(t, this.callTimesAfter(t));
    return gap && gap.to - gap.from;
  }

  /** The consumer's share of the pauses in handling from `t` on (`longestWait`). */
  longestWaitAfter(t: number): number | undefined {
    return this.waitingPauseAfter(t)?.waitMs;
  }

  /** The pause `longestWaitAfter` measured: when it ended, and whether a redelivery of a delivery lost in flight ended it. */
  waitingPauseAfter(t: number): WaitingPause | undefined {
    return longestWaitingPause(t, this.calls().values());
  }

  /** The report's note on that pause, when a delivery lost in flight ended it (it came back after ackWait). */
  static lostDeliveryNote(pause: WaitingPause | undefined): string | undefined {
    return pause?.endedByRedelivery
      ? `the longest wait ended with a delivery that had never reached the handler (lost in flight with the app's connection), sent again after ackWait`
      : undefined;
  }

  /** When handling resumed after that longest pause (ms since epoch): an election after it did not cause it. */
  stallEndAfter(t: number): number | undefined {
    return longestGap(t, this.callTimesAfter(t))?.to;
  }

  private callTimesAfter(t: number): number[] {
    const times: number[] = [];
    for (const { at } of this.calls().values()) for (const a of at) if (a >= t) times.push(a);
    return times;
  }

  /** The same for publishing: the longest pause between PubAcks from `t` on (undefined if none came after). */
  longestPublishPauseAfter(t: number): number | undefined {
    const gap = longestGap(
      t,
      this.ackTimes.filter((a) => a >= t),
    );
    return gap && gap.to - gap.from;
  }

  async jsm(): Promise<JetStreamManager> {
    if (!this.jsmCache) {
      this.nc = await connect({ servers: this.options.urls, maxReconnectAttempts: -1, ...this.options.auth });
      this.jsmCache = await jetstreamManager(this.nc);
    }
    return this.jsmCache;
  }

  /** The ids in the dead-letter stream (the original msgId, which every workload publish sets), read once each. */
  async deadLetterIds(): Promise<Set<string>> {
    const jsm = await this.jsm();
    const info = await jsm.streams.info('FAULTS_DEAD').catch(() => undefined);
    // A stream deleted and made again (the dead-letter outage scenario) starts its sequences over.
    if (!info || info.created !== this.deadStreamCreated) {
      this.deadSeen.clear();
      this.deadReadTo = 0;
      this.deadStreamCreated = info?.created;
    }
    if (!info || info.state.messages === 0) return new Set(this.deadSeen.values());
    for (let seq = Math.max(info.state.first_seq, this.deadReadTo + 1); seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage('FAULTS_DEAD', { seq }).catch(() => null);
      if (!m) continue;
      const facts = readDeadLetter(m.header);
      if (facts && !facts.reason) this.deadWithoutReason++;
      this.deadSeen.set(seq, facts?.msgId ?? m.json<{ id: string }>().id);
      this.deadReadTo = seq;
    }
    return new Set(this.deadSeen.values());
  }

  /** Waits (bounded) until every acknowledged id was handled, and every poison one dead-lettered. */
  async settle(timeout = 60_000): Promise<void> {
    await waitFor(
      'every acknowledged message handled or dead-lettered',
      async () => {
        if (this.handledCount() < this.acked.size - [...this.poison].filter((id) => this.acked.has(id)).length) return false;
        const dead = await this.deadLetterIds();
        return [...this.poison].every((id) => !this.acked.has(id) || dead.has(id));
      },
      { timeout, interval: 250 },
    ).catch(() => undefined); // the report says what is missing
  }

  /** The consumer apps' recoveries by cause (`strategy.on('recovery')`), e.g. "connection_moved 1, pull_reissued 3". */
  recoveries(): string {
    let lines: string[] = [];
    try {
      lines = readFileSync(`${this.recordFile}.recoveries`, 'utf8').split('\n').filter(Boolean);
    } catch {
      // no recovery recorded
    }
    const byCause = new Map<string, number>();
    for (const l of lines) byCause.set(l.split(' ')[0], (byCause.get(l.split(' ')[0]) ?? 0) + 1);
    return [...byCause].map(([cause, n]) => `${cause} ${n}`).join(', ') || 'none';
  }

  async report(scenario: string, server: string, extra: Partial<FaultReport> = {}): Promise<FaultReport> {
    const calls = this.calls();
    const dead = await this.deadLetterIds();
    let ackedLost = 0;
    let handledMoreThanOnce = 0;
    let maxCalls = 0;
    for (const id of this.acked) {
      const c = calls.get(id);
      if (this.poison.has(id) ? !dead.has(id) : !c) ackedLost++;
    }
    for (const c of calls.values()) {
      if (c.deliveries.length > 1) handledMoreThanOnce++;
      maxCalls = Math.max(maxCalls, c.deliveries.length);
    }
    return {
      scenario,
      server,
      published: this.published,
      acked: this.acked.size,
      ackedLost,
      handled: this.handledCount(),
      handledMoreThanOnce: handledMoreThanOnce - [...this.poison].filter((id) => (calls.get(id)?.deliveries.length ?? 0) > 1).length,
      maxCalls,
      deadLetters: dead.size,
      publishErrors: this.failed.size,
      ...extra,
      notes: [extra.notes, `consumer recoveries: ${this.recoveries()}`].filter(Boolean).join('; '),
    };
  }

  async close(): Promise<void> {
    for (const c of this.consumers) await c.kill();
    await this.client.close().catch(() => undefined);
    await this.nc?.close().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The longest gap in `times` (ms since epoch) from `t` on, counting from `t`: where it began and ended. */
export function longestGap(t: number, times: number[]): { from: number; to: number } | undefined {
  const sorted = times.filter((a) => a >= t).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  let best = { from: t, to: sorted[0] };
  for (let i = 1; i < sorted.length; i++) if (sorted[i] - sorted[i - 1] > best.to - best.from) best = { from: sorted[i - 1], to: sorted[i] };
  return best;
}
