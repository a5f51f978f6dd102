import type { PubAck } from '@nats-io/jetstream';
import type { MsgHdrs, Subscription } from '@nats-io/nats-core';
import { Counter, Gauge, register as defaultRegistry, type Metric, type Registry } from 'prom-client';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';
import type { JetStreamTransportError } from '../errors/jetstream-transport.error.js';
import type {
  ConsumeObserver,
  InstrumentationTarget,
  InstrumentedHandler,
  JetStreamInstrumentation,
  PublishObserver,
  SettleOutcome,
} from '../observability/instrumentation.interface.js';
import { toMillis } from '../utils/duration.js';
import { checkOptionObject } from '../config/option-checks.js';
import { METRICS_OPTIONS } from '../config/option-tables.js';
import type { JetStreamMetricsOptions } from '../interfaces/instrument-options.interface.js';
import { DEFAULT_METRIC_PREFIX, METRIC_NAMES } from './metric-names.js';
import { FastCounter, FastHistogram, type CounterSeries, type HistogramSeries } from './fast-metrics.js';
import { deliveryAttempt } from '../nats-adapter/private-access.js';
import { DEFAULT_CONNECTION_NAME } from '../connections/connection-errors.js';
import { ageMs, oldestUnprocessed } from '../utils/oldest-unprocessed.js';

// Defined with the other option types; exported from here, as before.
export type { JetStreamMetricsOptions };

const DEFAULT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Per handler: the label children, bound once, so a message costs no label lookup. */
interface HandlerSeries {
  duration: HistogramSeries;
  ackLatency: HistogramSeries;
  redeliveries: CounterSeries;
  settled: Record<SettleOutcome, CounterSeries>;
}

interface PublishToken {
  at: number;
  subject: string;
  connection: string;
}

interface MessageToken {
  series: HandlerSeries;
  receivedAt: number;
  startedAt: number;
}

/**
 * Prometheus metrics of a JetStream server and client (prom-client, an optional peer dependency):
 * pass one as the `metrics` option of both. Per-message work is a few counter and histogram
 * updates on label children bound once per handler; consumer and stream state is polled on
 * `pollInterval` only while attached; leader changes come from the server's advisories.
 */
export class JetStreamMetrics implements JetStreamInstrumentation {
  readonly consume: ConsumeObserver;
  readonly publish: PublishObserver;
  private readonly registry: Registry;
  private readonly prefix: string;
  private readonly pollMs: number;
  private readonly m;
  /** Per handler object (the runner passes the same one every time): no key built per message. */
  private readonly series = new WeakMap<InstrumentedHandler, HandlerSeries>();
  /** The last handler `received` saw, and its series. */
  private lastHandler?: InstrumentedHandler;
  private lastSeries?: HandlerSeries;
  private readonly attached = new Map<InstrumentationTarget, { timer: NodeJS.Timeout; subs: Subscription[] }>();

  constructor(private readonly options: JetStreamMetricsOptions = {}) {
    checkOptionObject(options, METRICS_OPTIONS, 'JetStreamMetrics');
    this.registry = options.registry ?? defaultRegistry;
    this.prefix = options.prefix ?? DEFAULT_METRIC_PREFIX;
    this.pollMs = toMillis(options.pollInterval ?? '15s', 'metrics pollInterval');
    const buckets = options.buckets ?? DEFAULT_BUCKETS;
    // `connection`: the named connection (`default`, or a name of the `connections` option: bounded).
    const publishLabels = options.subjectLabel ? ['stream', 'subject', 'connection'] : ['stream', 'connection'];
    const handler = ['stream', 'consumer', 'connection'];
    this.m = {
      publishDuration: this.fastHistogram(METRIC_NAMES.publishDuration, 'Time from publish to PubAck (retries included).', publishLabels, buckets),
      publishErrors: this.counter(METRIC_NAMES.publishErrors, 'Publishes that failed for good, by error code.', ['code', 'connection']),
      publishDuplicates: this.fastCounter(METRIC_NAMES.publishDuplicates, 'Publishes the stream recognised as duplicates (same msgId within its window).', [
        'stream',
        'connection',
      ]),
      handlerDuration: this.fastHistogram(METRIC_NAMES.handlerDuration, 'Time a handler ran, per attempt.', handler, buckets),
      settled: this.fastCounter(METRIC_NAMES.settled, 'Messages settled, by outcome: ack, nak, term, dead_letter, dead_letter_lost.', [...handler, 'outcome']),
      redeliveries: this.fastCounter(METRIC_NAMES.redeliveries, 'Deliveries after the first.', handler),
      ackLatency: this.fastHistogram(METRIC_NAMES.ackLatency, 'Time from a message arriving to its ack.', handler, buckets),
      consumerPending: this.gauge(METRIC_NAMES.consumerPending, 'Messages not yet delivered to the consumer (polled).', handler),
      consumerAckPending: this.gauge(METRIC_NAMES.consumerAckPending, 'Messages delivered and not yet settled (polled).', handler),
      consumerRedelivered: this.gauge(METRIC_NAMES.consumerRedelivered, 'Messages the server is redelivering (polled).', handler),
      consumerOldestAge: this.gauge(METRIC_NAMES.consumerOldestAge, 'Age of the oldest unprocessed message (polled).', handler),
      consumerPaused: this.gauge(METRIC_NAMES.consumerPaused, '1 while the consumer is paused on the server (pause_until, 2.11+), else 0 (polled).', handler),
      consumerPinHeld: this.gauge(
        METRIC_NAMES.consumerPinHeld,
        "A singleton handler: 1 while this instance holds its consumer's pin (handles it), else 0 (polled).",
        handler,
      ),
      streamMessages: this.gauge(METRIC_NAMES.streamMessages, 'Messages in the stream (polled).', ['stream', 'connection']),
      streamBytes: this.gauge(METRIC_NAMES.streamBytes, 'Bytes in the stream (polled).', ['stream', 'connection']),
      streamUtilization: this.gauge(METRIC_NAMES.streamUtilization, 'Bytes over max_bytes, when the stream has a limit (polled).', ['stream', 'connection']),
      streamHasLeader: this.gauge(
        METRIC_NAMES.streamHasLeader,
        '1 when the stream has a leader that answers (a single server counts), 0 when it has none (polled).',
        ['stream', 'connection'],
      ),
      leaderChanges: this.counter(METRIC_NAMES.leaderChanges, 'Leader elections of the streams and consumers the app uses (server advisories).', [
        'stream',
        'consumer',
      ]),
      connected: this.gauge(METRIC_NAMES.connected, '1 while the connection is up, else 0.', ['role', 'connection']),
      reconnects: this.counter(METRIC_NAMES.reconnects, 'Reconnections of the connection.', ['role', 'connection']),
      fastBatches: this.counter(METRIC_NAMES.fastBatches, 'Fast-ingest batches (publishFastBatch) that ended, by result: committed, failed.', [
        'stream',
        'result',
        'connection',
      ]),
      fastBatchMessages: this.counter(METRIC_NAMES.fastBatchMessages, 'Messages of committed fast-ingest batches (the server ack count).', [
        'stream',
        'connection',
      ]),
      recoveries: this.counter(
        METRIC_NAMES.recoveries,
        'Consumers recovered after a fault, by cause: pull_reissued, leader_elected, consumer_recreated, connection_moved.',
        ['cause'],
      ),
    };
    this.consume = {
      received: (h, ctx) => this.received(h, ctx),
      settled: (token, outcome) => this.settled(token as MessageToken | undefined, outcome),
      handled: (token) => {
        const t = token as MessageToken;
        this.m.handlerDuration.observe(t.series.duration, (performance.now() - t.startedAt) / 1000);
      },
      run: (token, call) => {
        (token as MessageToken).startedAt = performance.now();
        return call();
      },
    };
    this.publish = {
      started: (subject: string, _msgId: string, _headers: () => MsgHdrs, connection?: string) => ({
        at: performance.now(),
        subject,
        connection: connection ?? DEFAULT_CONNECTION_NAME,
      }),
      finished: (token, ack, error) => this.published(token as PublishToken, ack, error),
      fastBatch: ({ stream = 'unknown', stored, error, connection = DEFAULT_CONNECTION_NAME }) => {
        this.m.fastBatches.labels(stream, error === undefined ? 'committed' : 'failed', connection).inc();
        if (stored > 0) this.m.fastBatchMessages.labels(stream, connection).inc(stored);
      },
    };
  }

  attach(target: InstrumentationTarget): void {
    const role = target.role;
    const main = DEFAULT_CONNECTION_NAME;
    target.status.subscribe((s) => this.m.connected.labels(role, main).set(s === 'connected' ? 1 : 0));
    target.on('reconnect', () => this.m.reconnects.labels(role, main).inc());
    target.onConnectionState?.((e) => {
      this.m.connected.labels(role, e.connection).set(e.up ? 1 : 0);
      if (e.reconnected) this.m.reconnects.labels(role, e.connection).inc();
    });
    target.on('recovery', (e) => this.m.recoveries.labels(e.cause).inc());
    const connectionOf = (stream: string, consumer: string) => target.handlers.find((h) => h.stream === stream && h.durable === consumer)?.connection ?? main;
    target.on('deadLetterLost', (e) => this.m.settled.labels(e.stream, e.consumer, connectionOf(e.stream, e.consumer), 'dead_letter_lost').value++);
    const subs: Subscription[] = [];
    for (const stream of target.streams) {
      subs.push(this.watchLeaders(target, `$JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED.${stream}`, stream, ''));
    }
    // Through the default connection: the advisories of its own handlers' consumers.
    for (const h of target.handlers.filter((x) => x.connection === undefined)) {
      subs.push(this.watchLeaders(target, `$JS.EVENT.ADVISORY.CONSUMER.LEADER_ELECTED.${h.stream}.${h.durable}`, h.stream, h.durable));
    }
    const timer = setInterval(() => void this.poll(target), this.pollMs);
    timer.unref();
    this.attached.set(target, { timer, subs });
    void this.poll(target);
  }

  detach(target: InstrumentationTarget): void {
    const a = this.attached.get(target);
    if (!a) return;
    clearInterval(a.timer);
    for (const sub of a.subs) sub.unsubscribe();
    this.attached.delete(target);
  }

  /** Reads the consumer and stream state of every attached server and client now (also done every `pollInterval`). */
  async pollNow(): Promise<void> {
    await Promise.all([...this.attached.keys()].map((t) => this.poll(t)));
  }

  private async poll(target: InstrumentationTarget): Promise<void> {
    const { jsm } = target;
    await Promise.all([
      ...target.handlers.map(async (h) => {
        // A handler on a named connection is read through it, while it is up.
        const jsm = h.connection === undefined ? target.jsm : target.jsmOf?.(h.connection);
        const info = await jsm?.consumers.info(h.stream, h.durable).catch(() => undefined);
        if (!jsm || !info) return;
        const l = [h.stream, h.durable, h.connection ?? DEFAULT_CONNECTION_NAME];
        this.m.consumerPending.labels(...l).set(info.num_pending);
        this.m.consumerAckPending.labels(...l).set(info.num_ack_pending);
        this.m.consumerRedelivered.labels(...l).set(info.num_redelivered);
        this.m.consumerPaused.labels(...l).set(info.paused ? 1 : 0);
        if (h.pin) this.m.consumerPinHeld.labels(...l).set(h.pin().held ? 1 : 0);
        this.m.consumerOldestAge.labels(...l).set(ageMs(await oldestUnprocessed(jsm, h.stream, h.subject, info)) / 1000);
      }),
      ...target.streams.map(async (stream) => {
        const info = await jsm.streams.info(stream).catch(() => undefined);
        // The target's streams are read through its default connection.
        const l = [stream, DEFAULT_CONNECTION_NAME];
        this.m.streamHasLeader.labels(...l).set(info && (!info.cluster || info.cluster.leader) ? 1 : 0);
        if (!info) return;
        this.m.streamMessages.labels(...l).set(info.state.messages);
        this.m.streamBytes.labels(...l).set(info.state.bytes);
        if (info.config.max_bytes > 0) this.m.streamUtilization.labels(...l).set(info.state.bytes / info.config.max_bytes);
      }),
    ]);
  }

  private received(h: InstrumentedHandler, ctx: JetStreamContext): MessageToken {
    // The handler of the previous message, most often the same one: no Map lookup per message.
    let series = h === this.lastHandler ? this.lastSeries : this.series.get(h);
    if (!series) {
      const l = [h.stream, h.durable, h.connection ?? DEFAULT_CONNECTION_NAME];
      const outcome = (o: SettleOutcome) => this.m.settled.labels(...l, o);
      series = {
        duration: this.m.handlerDuration.labels(...l),
        ackLatency: this.m.ackLatency.labels(...l),
        redeliveries: this.m.redeliveries.labels(...l),
        settled: { ack: outcome('ack'), nak: outcome('nak'), term: outcome('term'), dead_letter: outcome('dead_letter') },
      };
      this.series.set(h, series);
    }
    this.lastHandler = h;
    this.lastSeries = series;
    // The consumer runner read it already (an ordered read did not: its messages are not redelivered).
    if ((ctx.attempt ?? deliveryAttempt(ctx.getMessage())) > 1) series.redeliveries.value++;
    const now = performance.now();
    return { series, receivedAt: now, startedAt: now };
  }

  private settled(token: MessageToken | undefined, outcome: SettleOutcome): void {
    if (!token) return;
    token.series.settled[outcome].value++;
    if (outcome === 'ack') this.m.ackLatency.observe(token.series.ackLatency, (performance.now() - token.receivedAt) / 1000);
  }

  private published({ at: startedAt, subject, connection }: PublishToken, ack: PubAck | undefined, error: unknown): void {
    if (!ack) {
      this.m.publishErrors.labels((error as JetStreamTransportError | undefined)?.code ?? 'UNKNOWN', connection).inc();
      return;
    }
    const series = this.options.subjectLabel
      ? this.m.publishDuration.labels(ack.stream, subject, connection)
      : this.m.publishDuration.labels(ack.stream, connection);
    this.m.publishDuration.observe(series, (performance.now() - startedAt) / 1000);
    if (ack.duplicate) this.m.publishDuplicates.labels(ack.stream, connection).value++;
  }

  private watchLeaders(target: InstrumentationTarget, subject: string, stream: string, consumer: string): Subscription {
    return target.connection.subscribe(subject, { callback: () => this.m.leaderChanges.labels(stream, consumer).inc() });
  }

  private counter(name: string, help: string, labelNames: string[]): Counter<string> {
    return this.reuse(name) ?? new Counter({ name: this.prefix + name, help, labelNames, registers: [this.registry] });
  }

  private gauge(name: string, help: string, labelNames: string[]): Gauge<string> {
    return this.reuse(name) ?? new Gauge({ name: this.prefix + name, help, labelNames, registers: [this.registry] });
  }

  private fastCounter(name: string, help: string, labelNames: string[]): FastCounter {
    const existing = this.reuse<FastCounter>(name);
    if (existing) return existing;
    const metric = new FastCounter(this.prefix + name, help, labelNames);
    this.registry.registerMetric(metric as unknown as Metric);
    return metric;
  }

  private fastHistogram(name: string, help: string, labelNames: string[], buckets: number[]): FastHistogram {
    const existing = this.reuse<FastHistogram>(name);
    if (existing) return existing;
    const metric = new FastHistogram(this.prefix + name, help, labelNames, buckets);
    this.registry.registerMetric(metric as unknown as Metric);
    return metric;
  }

  /** A second JetStreamMetrics on the same registry shares its metrics instead of failing to register them. */
  private reuse<M>(name: string): M | undefined {
    return this.registry.getSingleMetric(this.prefix + name) as M | undefined;
  }
}
