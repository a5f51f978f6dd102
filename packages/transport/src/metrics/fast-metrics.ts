import { redactSecrets } from '../security/redact.js';

/** What a registry reads from a metric when it is scraped. */
export interface ScrapedMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: { labels: Record<string, string | number>; value: number; metricName?: string }[];
}

/**
 * Counters and histograms for the per-message path. prom-client's own label children hash their
 * labels on every update (several µs per message here); these keep one plain series object per
 * label set, bound once per handler, and build prom-client's values only when scraped. Registered
 * on the app's prom-client registry like any metric (`registry.registerMetric`).
 */
abstract class FastMetric<S> {
  readonly aggregator = 'sum';
  protected readonly series = new Map<string, S>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  /** The series of `labels` (in `labelNames` order), made on first use: bind it once, update it per message. */
  labels(...values: string[]): S {
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      // Labels are names and codes, never messages; redacted all the same, once per series, off the hot path.
      s = this.create(Object.fromEntries(this.labelNames.map((n, i) => [n, redactSecrets(values[i] ?? '')])));
      this.series.set(key, s);
    }
    return s;
  }

  reset(): void {
    this.series.clear();
  }

  protected abstract create(labels: Record<string, string>): S;
}

export interface CounterSeries {
  readonly labels: Record<string, string>;
  value: number;
}

export class FastCounter extends FastMetric<CounterSeries> {
  readonly type = 'counter';

  protected create(labels: Record<string, string>): CounterSeries {
    return { labels, value: 0 };
  }

  async get(): Promise<ScrapedMetric> {
    return {
      name: this.name,
      help: this.help,
      type: 'counter',
      aggregator: 'sum',
      values: [...this.series.values()].map((s) => ({ labels: s.labels, value: s.value })),
    };
  }
}

export interface HistogramSeries {
  readonly labels: Record<string, string>;
  /** Per bucket (not cumulative), the last one for +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export class FastHistogram extends FastMetric<HistogramSeries> {
  readonly type = 'histogram';

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {
    super(name, help, labelNames);
  }

  /** Records one observation in `series`. */
  observe(series: HistogramSeries, value: number): void {
    series.sum += value;
    series.count++;
    const { buckets } = this;
    for (let i = 0; i < buckets.length; i++) {
      if (value <= buckets[i]) {
        series.counts[i]++;
        return;
      }
    }
    series.counts[buckets.length]++;
  }

  protected create(labels: Record<string, string>): HistogramSeries {
    return { labels, counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 };
  }

  async get(): Promise<ScrapedMetric> {
    const values: ScrapedMetric['values'] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += s.counts[i];
        values.push({ labels: { ...s.labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }
}
