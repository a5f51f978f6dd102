import { Counter, Gauge, register as defaultRegistry, type Registry } from 'prom-client';
import type { OutboxRelay } from '../outbox/outbox-relay.js';
import { OUTBOX_METRIC_NAMES } from './metric-names.js';
import { checkedPrefix } from './metric-prefix.js';

/** Options of `OutboxRelayMetrics`. */
export interface OutboxRelayMetricsOptions {
  /** The registry the metrics go in. Default prom-client's global registry. */
  registry?: Registry;
  /** Prefix of every metric name. Default `nest_jetstream_`, as `JetStreamMetrics`. */
  prefix?: string;
}

type RelayStat = 'relayed' | 'duplicates' | 'failedPasses';

/**
 * Prometheus metrics of outbox relays, read at each scrape: events published, of those the
 * duplicates, failed passes, and the events still pending (one `COUNT(*)` on the outbox per scrape).
 * One label, `table` (the outbox's table: as many series as relays). `watch(relay)` adds a relay.
 */
export class OutboxRelayMetrics {
  private readonly relays = new Set<OutboxRelay>();

  constructor(options: OutboxRelayMetricsOptions = {}) {
    const registry = options.registry ?? defaultRegistry;
    const prefix = checkedPrefix('OutboxRelayMetrics', options.prefix);
    const relays = this.relays;
    const counter = (name: string, help: string, stat: RelayStat) =>
      new Counter({
        name: prefix + name,
        help,
        labelNames: ['table'],
        registers: [registry],
        collect() {
          this.reset();
          for (const relay of relays) this.inc({ table: relay.table }, relay.stats[stat]);
        },
      });
    counter(OUTBOX_METRIC_NAMES.published, 'Outbox events published and marked sent (duplicates included).', 'relayed');
    counter(OUTBOX_METRIC_NAMES.duplicates, 'Outbox events the stream already held (a relay that died between publish and mark).', 'duplicates');
    counter(OUTBOX_METRIC_NAMES.failedPasses, 'Relay passes that failed (retried at the next pass).', 'failedPasses');
    new Gauge({
      name: prefix + OUTBOX_METRIC_NAMES.pending,
      help: 'Outbox events not yet published (counted at scrape).',
      labelNames: ['table'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const relay of relays) {
          // A database that does not answer leaves the series out of this scrape (the failed passes show it).
          const n = await relay.pendingCount().catch(() => undefined);
          if (n !== undefined) this.set({ table: relay.table }, n);
        }
      },
    });
  }

  /** Reports this relay's figures from now on (its `table` label: its outbox's table). */
  watch(relay: OutboxRelay): this {
    this.relays.add(relay);
    return this;
  }

  /** Stops reporting this relay. */
  unwatch(relay: OutboxRelay): this {
    this.relays.delete(relay);
    return this;
  }
}
