import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { registerInMemoryTracing } from '../__fixtures__/otel-sdk.js';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { rawHpub, UNPARSABLE_HEADER_BLOCK } from '../__fixtures__/raw-hpub.js';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamTracing } from './jetstream.tracing.js';

// One trace from the publisher's span through the handler's span (and a span the handler makes),
// with the OpenTelemetry SDK's in-memory exporter; error status on failure; the dead letter carries
// the failed attempt's trace.

const { exporter, provider } = registerInMemoryTracing();

@Controller()
class TracedController {
  @JetStreamEvent('traced.work', { maxDeliver: 2, backoff: ['50ms'], deadLetter: 'traceddlq.work' })
  async work(@Payload() data: { fail?: boolean }, @Ctx() _ctx: JetStreamContext) {
    await trace.getTracer('app').startActiveSpan('charge card', async (span) => {
      await new Promise((r) => setImmediate(r));
      span.end();
    });
    if (data.fail) throw new Error('payment declined');
  }

  @JetStreamEvent('traced.ordered.>', { mode: 'ordered', deliverPolicy: 'all', maxDeliver: 1, backoff: [], deadLetter: 'traceddlq.ordered' })
  ordered(@Payload() _data: unknown) {}
}

@Module({ controllers: [TracedController] })
class TracedModule {}

const spans = () => exporter.getFinishedSpans();

describe('OpenTelemetry tracing (real nats-server, SDK in-memory exporter)', () => {
  const h = new Harness();
  const stream = uniqueName('TRACED');
  const dlq = uniqueName('TRACEDDLQ');
  let client: JetStreamClient;

  beforeAll(async () => {
    await h.start();
    const streams = [
      { name: stream, subjects: ['traced.>'] },
      { name: dlq, subjects: ['traceddlq.>'] },
    ];
    await h.app(TracedModule, { serviceName: 'traced', streams, tracing: new JetStreamTracing() });
    client = new JetStreamClient({ connection: { servers: h.server.url }, tracing: new JetStreamTracing() });
  });
  afterAll(async () => {
    await client.close();
    await h.stop();
    await provider.shutdown();
  });

  it("makes one trace: send span, then the process span as its child, then the handler's own span", async () => {
    const ack = await client.publish('traced.work', { ok: true }, { msgId: 'order-7' });
    const process = await waitFor('the process span', () =>
      spans().find((s) => s.name === 'process traced.work' && s.attributes['messaging.nats.jetstream.sequence'] === ack.seq),
    );
    const send = spans().find((s) => s.name === 'send traced.work' && s.attributes['messaging.nats.jetstream.sequence'] === ack.seq)!;
    const handler = await waitFor('the handler span', () =>
      spans().find((s) => s.name === 'charge card' && s.parentSpanContext?.spanId === process.spanContext().spanId),
    );
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(process.kind).toBe(SpanKind.CONSUMER);
    expect(process.spanContext().traceId).toBe(send.spanContext().traceId);
    expect(handler.spanContext().traceId).toBe(send.spanContext().traceId);
    expect(process.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
    expect(send.attributes).toMatchObject({
      'messaging.system': 'nats',
      'messaging.destination.name': 'traced.work',
      'messaging.message.id': 'order-7',
      'messaging.nats.jetstream.stream': stream,
    });
    expect(process.attributes).toMatchObject({
      'messaging.system': 'nats',
      'messaging.operation.type': 'process',
      'messaging.consumer.group.name': 'traced__traced_work',
      'messaging.message.id': 'order-7',
      'messaging.nats.jetstream.stream': stream,
      'messaging.nats.jetstream.delivery_count': 1,
      'messaging.nats.jetstream.settle': 'ack',
    });
    expect(process.status.code).toBe(SpanStatusCode.UNSET);
  });

  // nats.js throws on every read of a header block it cannot parse: the span starts a trace of its
  // own and the message is handled or dead-lettered as without tracing (it stalled the shared
  // consumer and crashed the ordered runner).
  it('traces a message whose header block no client would write, with or without a payload that decodes (shared and ordered)', async () => {
    const enc = (text: string) => new TextEncoder().encode(text);
    const processed = (subject: string, settle: string) =>
      waitFor(`a ${settle} span of ${subject}`, () =>
        spans().find((s) => s.name === `process ${subject}` && s.attributes['messaging.nats.jetstream.settle'] === settle),
      );
    const before = (await h.jsm.streams.info(stream)).state.last_seq;
    await rawHpub(h.server.url, 'traced.work', UNPARSABLE_HEADER_BLOCK, enc('{}'));
    const work = await waitFor('the raw publish stored', async () => {
      const m = await h.jsm.streams.getMessage(stream, { last_by_subj: 'traced.work' });
      return m && m.seq > before ? m.seq : undefined;
    });
    const handled = await waitFor('the process span of the raw publish', () =>
      spans().find((s) => s.name === 'process traced.work' && s.attributes['messaging.nats.jetstream.sequence'] === work),
    );
    expect(handled.attributes['messaging.nats.jetstream.settle']).toBe('ack');
    expect(handled.parentSpanContext).toBeUndefined();
    await rawHpub(h.server.url, 'traced.ordered.both', UNPARSABLE_HEADER_BLOCK, enc('{"a": nope'));
    const dead = await processed('traced.ordered.both', 'dead_letter');
    expect(dead.status.code).toBe(SpanStatusCode.ERROR);
    expect(dead.status.message).toMatch(/^DecodeError: Cannot decode message/);
    // The ordered handler goes on with the next message.
    await client.publish('traced.ordered.next', { ok: true });
    await processed('traced.ordered.next', 'ack');
  });

  it("marks failed attempts as errors, and the dead letter carries the last failed attempt's trace", async () => {
    const ack = await client.publish('traced.work', { fail: true });
    const attempts = await waitFor('both failed attempts', () => {
      const found = spans().filter((s) => s.name === 'process traced.work' && s.attributes['messaging.nats.jetstream.sequence'] === ack.seq);
      return found.length === 2 ? found : undefined;
    });
    expect(attempts.map((s) => [s.attributes['messaging.nats.jetstream.settle'], s.status.code])).toEqual([
      ['nak', SpanStatusCode.ERROR],
      ['dead_letter', SpanStatusCode.ERROR],
    ]);
    expect(attempts[0].events.some((e) => e.name === 'exception')).toBe(true);
    const dead = await waitFor('the dead letter', () => h.jsm.streams.getMessage(dlq, { last_by_subj: 'traceddlq.work' }).catch(() => null));
    const traceparent = dead.header.get('traceparent');
    const [, traceId, parentSpan] = traceparent.split('-');
    expect(traceId).toBe(attempts[1].spanContext().traceId);
    const dlSend = spans().find((s) => s.spanContext().spanId === parentSpan)!;
    expect(dlSend.name).toBe('send traceddlq.work');
    expect(dlSend.parentSpanContext?.spanId).toBe(attempts[1].spanContext().spanId);
  });
});
