import type { PubAck } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/nats-core';
import {
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  type Tracer,
} from '@opentelemetry/api';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { readHeaders } from '../utils/headers.js';
import { checkOptionObject } from '../config/option-checks.js';
import { TRACING_OPTIONS } from '../config/option-tables.js';
import type { JetStreamTracingOptions } from '../interfaces/instrument-options.interface.js';
import type {
  BatchObservation,
  ConsumeObserver,
  InstrumentedHandler,
  JetStreamInstrumentation,
  PublishObserver,
  SettleOutcome,
} from '../observability/instrumentation.interface.js';

// Defined with the other option types; exported from here, as before.
export type { JetStreamTracingOptions };

const setter: TextMapSetter<MsgHdrs> = { set: (carrier, key, value) => carrier.set(key, value) };
const getter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (carrier) => (carrier ? [...carrier.keys()] : []),
  get: (carrier, key) => {
    if (!carrier) return undefined;
    // We write the keys as the propagator gives them (lower case): an exact match first.
    if (carrier.has(key)) return carrier.get(key);
    for (const k of carrier.keys()) if (k.toLowerCase() === key) return carrier.get(k);
    return undefined;
  },
};

interface ProcessToken {
  span: Span;
  ctx: Context;
}

/** Whether a real tracer provider is registered globally (not the API's no-op). */
function globalProviderIsReal(): boolean {
  const provider = trace.getTracerProvider();
  const delegate = provider instanceof ProxyTracerProvider ? provider.getDelegate() : provider;
  return delegate.constructor.name !== 'NoopTracerProvider';
}

/**
 * OpenTelemetry tracing of a JetStream server and client (`@opentelemetry/api` only, an optional
 * peer dependency): a PRODUCER span per publish whose context travels in the message headers,
 * and a CONSUMER span per delivery, its child, inside which the handler runs, so spans the handler
 * makes join the same trace. Dead letters are published inside the failed attempt's span.
 * Decided when the server or client is constructed: with no tracer provider registered by then
 * (nor given), it installs no hook at all and costs nothing.
 */
export class JetStreamTracing implements JetStreamInstrumentation {
  readonly consume?: ConsumeObserver;
  readonly publish?: PublishObserver;
  private readonly tracer?: Tracer;
  private readonly propagator: TextMapPropagator;

  constructor(options: JetStreamTracingOptions = {}) {
    checkOptionObject(options, TRACING_OPTIONS, 'JetStreamTracing');
    this.propagator = options.propagator ?? propagation;
    const provider = options.tracerProvider ?? (globalProviderIsReal() ? trace.getTracerProvider() : undefined);
    if (!provider) return;
    this.tracer = provider.getTracer('@nest-jetstream/transport');
    this.consume = {
      received: (h, ctx) => this.received(h, ctx),
      run: <T>(token: unknown, call: () => T): T => context.with((token as ProcessToken).ctx, call),
      within: <T>(token: unknown, call: () => T): T => context.with((token as ProcessToken).ctx, call),
      handled: (token, error) => {
        if (error !== undefined) (token as ProcessToken).span.recordException(error instanceof Error ? error : String(error));
      },
      settled: (token, outcome, reason) => this.settled(token as ProcessToken | undefined, outcome, reason),
      batch: (h, tokens) => this.batch(h, tokens as readonly (ProcessToken | undefined)[]),
    };
    this.publish = {
      started: (subject, msgId, headers) => this.started(subject, msgId, headers),
      finished: (token, ack, error) => this.finished(token as Span, ack, error),
    };
  }

  /** Whether spans are made (a provider was registered or given). */
  get enabled(): boolean {
    return this.tracer !== undefined;
  }

  private started(subject: string, msgId: string, headers: () => MsgHdrs): Span {
    const parent = context.active();
    const span = this.tracer!.startSpan(
      `send ${subject}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'send',
          'messaging.operation.name': 'publish',
          'messaging.destination.name': subject,
          'messaging.message.id': msgId,
        },
      },
      parent,
    );
    this.propagator.inject(trace.setSpan(parent, span), headers(), setter);
    return span;
  }

  private finished(span: Span, ack: PubAck | undefined, error: unknown): void {
    if (ack) {
      span.setAttributes({
        'messaging.nats.jetstream.stream': ack.stream,
        'messaging.nats.jetstream.sequence': ack.seq,
        'messaging.nats.jetstream.duplicate': ack.duplicate,
      });
    } else {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    }
    span.end();
  }

  private received(h: InstrumentedHandler, ctx: JetStreamContext): ProcessToken {
    const msg = ctx.getMessage();
    // A header block nats.js cannot parse throws on every read: such a message starts a trace of its own.
    const headers = readHeaders(() => msg.headers).headers;
    const parent = headers ? this.propagator.extract(ROOT_CONTEXT, headers, getter) : ROOT_CONTEXT;
    const info = msg.info;
    const span = this.tracer!.startSpan(
      `process ${msg.subject}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'process',
          'messaging.destination.name': msg.subject,
          'messaging.consumer.group.name': h.durable,
          'messaging.message.id': headers?.get('Nats-Msg-Id') || undefined,
          'messaging.nats.jetstream.stream': info.stream,
          'messaging.nats.jetstream.sequence': info.streamSequence,
          'messaging.nats.jetstream.delivery_count': info.deliveryCount,
        },
      },
      parent,
    );
    return { span, ctx: trace.setSpan(parent, span) };
  }

  /**
   * A batch handler's call: one CONSUMER span of its own trace, linked to each message's process
   * span (each in its publisher's trace), as OpenTelemetry's messaging conventions do for a batch.
   * The handler runs inside it; it ends when the call returns, fails or passes handlerTimeout.
   */
  private batch(h: InstrumentedHandler, tokens: readonly (ProcessToken | undefined)[]): BatchObservation {
    const links = tokens.filter((t): t is ProcessToken => t !== undefined).map((t) => ({ context: t.span.spanContext() }));
    const span = this.tracer!.startSpan(
      `process ${h.subject}`,
      {
        kind: SpanKind.CONSUMER,
        links,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'process',
          'messaging.destination.name': h.subject,
          'messaging.consumer.group.name': h.durable,
          'messaging.batch.message_count': tokens.length,
          'messaging.nats.jetstream.stream': h.stream,
        },
      },
      ROOT_CONTEXT,
    );
    const ctx = trace.setSpan(ROOT_CONTEXT, span);
    let ended = false;
    return {
      run: <T>(call: () => T): T => context.with(ctx, call),
      ended: (error) => {
        if (ended) return;
        ended = true;
        if (error !== undefined) {
          span.recordException(error instanceof Error ? error : String(error));
          span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        }
        span.end();
      },
    };
  }

  private settled(token: ProcessToken | undefined, outcome: SettleOutcome, reason?: string): void {
    if (!token) return;
    token.span.setAttribute('messaging.nats.jetstream.settle', outcome);
    if (outcome !== 'ack') token.span.setStatus({ code: SpanStatusCode.ERROR, message: reason ?? outcome });
    token.span.end();
  }
}
