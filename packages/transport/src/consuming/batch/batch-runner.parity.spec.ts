import { waitFor } from '@nest-jetstream/testing';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { HandlerBinding } from '../../bindings/handler-binding.js';
import { startBatchRunner, type BatchHandler } from '../../__fixtures__/batch-runner-harness.js';
import { settlesOf } from '../../__fixtures__/fake-js-msg.js';
import { Deferred, type FakeRunnerHost } from '../../__fixtures__/fake-runner-host.js';
import { registerInMemoryTracing } from '../../__fixtures__/otel-sdk.js';
import { JetStreamTracing } from '../../tracing/jetstream.tracing.js';
import { JetStreamBatchContext } from './jetstream-batch.context.js';

// What a single-message handler has, a batch handler has too: handlerTimeout (the batch settled as a
// timed-out attempt), NestJS 12's processing hooks around its one call, and one tracing span per batch
// linked to each message's span (the OpenTelemetry SDK's in-memory exporter).

const { exporter, provider } = registerInMemoryTracing();

describe('BatchRunner: handlerTimeout, processing hooks and tracing (fake consumer, no server)', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
    exporter.reset();
  });
  afterAll(() => provider.shutdown());

  async function start(overrides: Partial<HandlerBinding>, handler: BatchHandler, setup?: (host: FakeRunnerHost) => void) {
    const started = await startBatchRunner(overrides, handler, { size: 2, maxWaitMs: 60_000 }, setup);
    close = started.close;
    return started;
  }

  it('a batch past handlerTimeout is a failed attempt for each message: nak with its backoff, dead letter on its last; its late return settles nothing', async () => {
    const release = new Deferred();
    const calls: number[] = [];
    const { deliver, host, runner } = await start({ handlerTimeoutMs: 50, maxDeliver: 3, backoffMs: [100, 200], deadLetter: 'dlq.{subject}' }, (items) => {
      calls.push(items.length);
      return calls.length === 1 ? release.promise : undefined;
    });
    const a = deliver({ deliveryCount: 1 });
    const b = deliver({ deliveryCount: 3 });
    await waitFor('both messages settled', () => settlesOf(a).length > 0 && settlesOf(b).length > 0, { timeout: 5_000 });
    expect(settlesOf(a)).toEqual([{ action: 'nak', delay: 100 }]);
    expect(settlesOf(b)).toEqual([{ action: 'term', reason: expect.stringContaining('handlerTimeout 50 ms') as string }]);
    expect(host.deadLettered).toEqual([expect.objectContaining({ seq: 2, exhausted: true })]);
    expect(host.logged('warn', /^Batch handler for "orders.created" \(2 message\(s\)\) ran past handlerTimeout 50 ms/)).toHaveLength(1);
    expect(runner.timedOutRunning).toBe(1);
    // The next batch is not held up by the abandoned call.
    const c = deliver();
    const d = deliver();
    await waitFor('the next batch acked', () => settlesOf(c).length > 0 && settlesOf(d).length > 0, { timeout: 5_000 });
    expect(settlesOf(c)).toEqual([{ action: 'ack' }]);
    release.resolve();
    await waitFor('the abandoned call counted out', () => runner.timedOutRunning === 0);
    expect(settlesOf(a)).toEqual([{ action: 'nak', delay: 100 }]);
  });

  it('a message the handler settled before the timeout keeps its settle', async () => {
    const { deliver } = await start({ handlerTimeoutMs: 50 }, (_items, ctx) => {
      ctx.messages[0].ack();
      return new Promise(() => undefined);
    });
    const a = deliver();
    const b = deliver();
    await waitFor('both settled', () => settlesOf(a).length > 0 && settlesOf(b).length > 0, { timeout: 5_000 });
    expect(settlesOf(a)).toEqual([{ action: 'ack' }]);
    expect(settlesOf(b)).toEqual([{ action: 'nak', delay: 100 }]);
  });

  it("runs the batch's one call inside the processing start hook (with its JetStreamBatchContext) and the end hook after it", async () => {
    const order: string[] = [];
    const { deliver } = await start(
      {},
      async () => {
        await new Promise((r) => setImmediate(r));
        order.push('handler');
      },
      (host) => {
        host.processingHooks = {
          start: (ctx, done) => {
            order.push(`start ${ctx instanceof JetStreamBatchContext ? ctx.size : 'not a batch'}`);
            return done();
          },
          end: (ctx) => void order.push(`end ${(ctx as JetStreamBatchContext).size}`),
        };
      },
    );
    const [a, b] = [deliver(), deliver()];
    await waitFor('the batch acked', () => settlesOf(a).length > 0 && settlesOf(b).length > 0);
    expect(order).toEqual(['start 2', 'handler', 'end 2']);
    expect(settlesOf(a)).toEqual([{ action: 'ack' }]);
  });

  it('a start hook that throws fails the batch like the handler would (naked with backoff)', async () => {
    const { deliver } = await start(
      {},
      () => undefined,
      (host) => {
        host.processingHooks = {
          start: () => {
            throw new Error('no tenant');
          },
          end: () => undefined,
        };
      },
    );
    const [a, b] = [deliver(), deliver()];
    await waitFor('the batch settled', () => settlesOf(a).length > 0 && settlesOf(b).length > 0);
    expect(settlesOf(a)).toEqual([{ action: 'nak', delay: 100 }]);
  });

  it("makes one span per batch, linked to each message's process span, with the handler's own span inside it", async () => {
    const { deliver } = await start(
      {},
      async () => {
        await trace.getTracer('app').startActiveSpan('bulk insert', async (span) => {
          await new Promise((r) => setImmediate(r));
          span.end();
        });
      },
      (host) => {
        host.consumeObserver = new JetStreamTracing({ tracerProvider: provider }).consume;
      },
    );
    const [a, b] = [deliver(), deliver()];
    await waitFor('the batch acked', () => settlesOf(a).length > 0 && settlesOf(b).length > 0);
    await waitFor('the spans exported', () => exporter.getFinishedSpans().length === 4);
    const spans = exporter.getFinishedSpans();
    const batch = spans.find((s) => s.attributes['messaging.batch.message_count'] === 2)!;
    const messages = spans.filter((s) => s.name === 'process orders.created' && s !== batch);
    const own = spans.find((s) => s.name === 'bulk insert')!;
    expect(batch.kind).toBe(SpanKind.CONSUMER);
    expect(batch.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(messages.map((m) => m.attributes['messaging.nats.jetstream.sequence']).sort()).toEqual([1, 2]);
    expect(batch.links.map((l) => l.context.spanId).sort()).toEqual(messages.map((m) => m.spanContext().spanId).sort());
    expect(own.spanContext().traceId).toBe(batch.spanContext().traceId);
    expect(own.parentSpanContext?.spanId).toBe(batch.spanContext().spanId);
  });

  it('a failed or timed-out batch ends its span with an error status', async () => {
    const { deliver } = await start(
      { handlerTimeoutMs: 50 },
      () => new Promise(() => undefined),
      (host) => {
        host.consumeObserver = new JetStreamTracing({ tracerProvider: provider }).consume;
      },
    );
    const [a, b] = [deliver(), deliver()];
    await waitFor('the batch settled', () => settlesOf(a).length > 0 && settlesOf(b).length > 0, { timeout: 5_000 });
    await waitFor('the batch span exported', () => exporter.getFinishedSpans().some((s) => s.attributes['messaging.batch.message_count'] === 2));
    const batch = exporter.getFinishedSpans().find((s) => s.attributes['messaging.batch.message_count'] === 2)!;
    expect(batch.status).toMatchObject({ code: SpanStatusCode.ERROR, message: expect.stringContaining('handlerTimeout 50 ms') as string });
  });
});
