import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Registry } from 'prom-client';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamTermError } from '../errors/handler.errors.js';
import { JetStreamMetrics } from './jetstream.metrics.js';

// A known workload, then the registry read back: exact counts of what the library did.

@Controller()
class MeteredController {
  @JetStreamEvent('metered.work', { maxDeliver: 3, backoff: ['50ms'], deadLetter: 'metereddlq.work' })
  work(@Payload() data: { failOnce?: boolean; poison?: boolean }, @Ctx() ctx: JetStreamContext) {
    if (data.poison) throw new JetStreamTermError('poison');
    if (data.failOnce && ctx.getInfo().deliveryCount === 1) throw new Error('first attempt fails');
  }
}

@Module({ controllers: [MeteredController] })
class MeteredModule {}

/** The value of `name` (a histogram's `_count` included) with `labels`, as a scrape would show it. */
async function value(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const base = name.replace(/_count$/, '');
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name || m.name === base);
  const samples = (metric?.values ?? []) as { value: number; labels: Record<string, string | number>; metricName?: string }[];
  const sample = samples.find((v) => (v.metricName ?? metric?.name) === name && Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return sample?.value ?? 0;
}

describe('Prometheus metrics (real nats-server, prom-client)', () => {
  const h = new Harness();
  const stream = uniqueName('METERED');
  const dlq = uniqueName('METEREDDLQ');
  const registry = new Registry();
  const metrics = new JetStreamMetrics({ registry, pollInterval: '1h' });
  let client: JetStreamClient;

  beforeAll(async () => {
    await h.start();
    const streams = [
      { name: stream, subjects: ['metered.>'] },
      { name: dlq, subjects: ['metereddlq.>'] },
    ];
    await h.app(MeteredModule, { serviceName: 'metered', streams, metrics });
    client = new JetStreamClient({ connection: { servers: h.server.url }, streams, metrics });
    await client.connect();
  });
  afterAll(async () => {
    await client.close();
    await h.stop();
  });

  it('counts N handled, K redelivered, one dead letter, publishes and duplicates exactly', async () => {
    const N = 20;
    const K = 3;
    for (let i = 0; i < N; i++) await client.publish('metered.work', { failOnce: i < K }, { msgId: `m-${i}` });
    await client.publish('metered.work', { failOnce: false }, { msgId: 'm-0' }); // a duplicate
    await client.publish('metered.work', { poison: true }, { msgId: 'poison' });
    const labels = { stream, consumer: 'metered__metered_work' };
    await waitFor('every message settled', async () => (await value(registry, 'nest_jetstream_messages_settled_total', { ...labels, outcome: 'ack' })) === N);
    await waitFor('the dead letter', async () => (await value(registry, 'nest_jetstream_messages_settled_total', { ...labels, outcome: 'dead_letter' })) === 1);
    expect(await value(registry, 'nest_jetstream_messages_settled_total', { ...labels, outcome: 'nak' })).toBe(K);
    expect(await value(registry, 'nest_jetstream_redeliveries_total', labels)).toBe(K);
    expect(await value(registry, 'nest_jetstream_handler_duration_seconds_count', labels)).toBe(N + K + 1);
    expect(await value(registry, 'nest_jetstream_ack_latency_seconds_count', labels)).toBe(N);
    // Publishes: N + 1 duplicate + 1 poison by the client, and the one dead letter by the server.
    expect(await value(registry, 'nest_jetstream_publish_duration_seconds_count', { stream })).toBe(N + 2);
    expect(await value(registry, 'nest_jetstream_publish_duration_seconds_count', { stream: dlq })).toBe(1);
    expect(await value(registry, 'nest_jetstream_publish_duplicates_total', { stream })).toBe(1);
    expect(await value(registry, 'nest_jetstream_connected', { role: 'server' })).toBe(1);
    expect(await value(registry, 'nest_jetstream_connected', { role: 'client' })).toBe(1);
    // What Prometheus scrapes.
    const text = await registry.metrics();
    expect(text).toContain('# TYPE nest_jetstream_messages_settled_total counter');
    expect(text).toContain(
      `nest_jetstream_messages_settled_total{stream="${stream}",consumer="metered__metered_work",connection="default",outcome="ack"} ${N}`,
    );
    expect(text).toContain('# TYPE nest_jetstream_handler_duration_seconds histogram');
    expect(text).toMatch(
      new RegExp(
        `nest_jetstream_handler_duration_seconds_bucket\\{stream="${stream}",consumer="metered__metered_work",connection="default",le="\\+Inf"\\} ${N + K + 1}`,
      ),
    );
  });

  it('polls consumer and stream state, and counts publish errors by code', async () => {
    await metrics.pollNow();
    expect(await value(registry, 'nest_jetstream_stream_messages', { stream })).toBe((await h.jsm.streams.info(stream)).state.messages);
    expect(await value(registry, 'nest_jetstream_consumer_pending_messages', { stream, consumer: 'metered__metered_work' })).toBe(0);
    await client.publish('nowhere.at.all', {}).catch(() => undefined);
    expect(await value(registry, 'nest_jetstream_publish_errors_total', { code: 'NO_STREAM_FOR_SUBJECT' })).toBe(1);
  });
});
