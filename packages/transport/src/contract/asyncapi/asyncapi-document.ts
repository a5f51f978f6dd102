import { renderDeadLetterSubject } from '../../config/dead-letter-subject.js';
import { DEFAULTS } from '../../constants.js';
import { modeOf } from '../../delivery/modes.js';
import type { PublishContract } from '../../interfaces/contract-options.interface.js';
import type { StreamDeclaration } from '../../interfaces/jetstream-options.interface.js';
import { subjectMatches, subjectProblem } from '../../utils/subjects.js';
import { payloadJsonSchema, vendorOf, type PayloadSchema } from '../../schemas/standard-schema.js';
import { declaredStreamOf, type AppContract, type ContractHandler } from './app-contract.js';
import type { AsyncApiChannel, AsyncApiDocument, AsyncApiMessage, JsonSchema } from './asyncapi-types.js';
import { DEAD_LETTER_MESSAGE, deadLetterMessage } from './dead-letter-message.js';
import { describeConsumer, describeStream, formatMs, MODE_SUMMARIES } from './describe-settings.js';

/** Options of the document (beside what the app says). */
export interface AsyncApiDocumentOptions {
  /** `info.title`. Default: the app's `serviceName`. */
  title?: string;
  /** `info.version`. Default: the app's `contract.version`, else `'0.0.0'`. */
  version?: string;
  /** The NATS server the document names (`host:port`). Default: the host of the app's first `connection.servers` (no credentials), else `localhost:4222`. */
  serverHost?: string;
}

/** `orders.created` → `orders_created`, `orders.*` → `orders_star`, `orders.>` → `orders_all`: an id AsyncAPI accepts. */
export function channelIdOf(subject: string): string {
  return subject
    .split('.')
    .map((t) => (t === '*' ? 'star' : t === '>' ? 'all' : t.replace(/[^A-Za-z0-9_-]/g, '_')))
    .join('_');
}

/** A subject as a channel address: a wildcard token is a parameter (`orders.*` → `orders.{token2}`, `orders.>` → `orders.{rest}`). */
export function addressOf(subject: string): Pick<AsyncApiChannel, 'address' | 'parameters'> {
  const parameters: Record<string, { description: string }> = {};
  const tokens = subject.split('.').map((t, i) => {
    if (t === '*') {
      parameters[`token${i + 1}`] = { description: `Token ${i + 1} of the subject: any one token (NATS "*").` };
      return `{token${i + 1}}`;
    }
    if (t === '>') {
      parameters.rest = { description: `Tokens ${i + 1} and after: one or more tokens (NATS ">").` };
      return '{rest}';
    }
    return t;
  });
  return { address: tokens.join('.'), ...(Object.keys(parameters).length > 0 && { parameters }) };
}

/** `orders.created` → `OrdersCreated`: the message's name when its schema has no title. */
function messageNameOf(subject: string): string {
  return channelIdOf(subject)
    .split(/[_-]+/)
    .filter(Boolean)
    .map((t) => t[0].toUpperCase() + t.slice(1))
    .join('');
}

function hostOf(servers: string | string[] | undefined): string | undefined {
  const first = Array.isArray(servers) ? servers[0] : servers?.split(',')[0];
  if (!first) return undefined;
  // Only host and port: a URL's credentials never reach the document.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(first.trim()) ? first.trim() : `nats://${first.trim()}`;
  try {
    const url = new URL(withScheme);
    return `${url.hostname}:${url.port || '4222'}`;
  } catch {
    return undefined;
  }
}

/** Builds the channels, operations and messages of one app, in the order its handlers and publishes are declared. */
class DocumentBuilder {
  readonly channels: Record<string, AsyncApiChannel> = {};
  readonly operations: AsyncApiDocument['operations'] = {};
  readonly messages: Record<string, AsyncApiMessage> = {};

  constructor(
    private readonly streams: readonly StreamDeclaration[],
    /** The subjects of the app's dead letters (its `deadLetter` template as a filter): a handler there reads dead letters. */
    private readonly deadLetters: string | undefined,
  ) {}

  channel(subject: string): { id: string; channel: AsyncApiChannel } {
    const id = channelIdOf(subject);
    let channel = this.channels[id];
    if (!channel) {
      const stream = declaredStreamOf(this.streams, subject, subjectMatches);
      channel = { ...addressOf(subject), title: subject, messages: {} };
      if (stream) {
        channel.description = describeStream(stream);
        channel['x-jetstream-stream'] = streamFacts(stream);
      }
      this.channels[id] = channel;
    }
    return { id, channel };
  }

  /** The channel's message for `schema` (one per channel: the first schema declared for the subject wins), as an operation references it. */
  message(subject: string, schema: PayloadSchema | undefined, dead = false): { channelId: string; ref: string } {
    const { id, channel } = this.channel(subject);
    const name = dead ? DEAD_LETTER_MESSAGE : messageNameOf(subject);
    if (!channel.messages[name]) {
      if (dead) this.messages[name] ??= deadLetterMessage();
      else this.messages[name] = payloadMessage(name, subject, schema);
      channel.messages[name] = { $ref: `#/components/messages/${name}` };
    } else if (!dead && schema && !this.messages[name].payload['x-schema-vendor']) {
      this.messages[name] = payloadMessage(name, subject, schema);
    }
    return { channelId: id, ref: `#/channels/${id}/messages/${name}` };
  }

  operationId(base: string): string {
    let id = base;
    for (let n = 2; this.operations[id]; n++) id = `${base}_${n}`;
    return id;
  }

  receive(h: ContractHandler, serviceName: string): void {
    const b = h.binding;
    const readsDeadLetters = this.deadLetters !== undefined && subjectMatches(this.deadLetters, b.subject);
    const { channelId, ref } = this.message(b.subject, h.schema, readsDeadLetters && !h.schema);
    const deadLetter = b.deadLetter ? renderDeadLetterSubject(b.deadLetter, b.subject, b.stream ?? '{stream}', b.durable) : undefined;
    const facts = modeOf(b);
    this.operations[this.operationId(`receive_${channelIdOf(b.durable)}`)] = {
      action: 'receive',
      channel: { $ref: `#/channels/${channelId}` },
      title: h.owner ?? b.subject,
      summary: `${serviceName} handles ${b.subject} (${b.mode}: ${MODE_SUMMARIES[b.mode]})`,
      description: describeConsumer(b, deadLetter),
      messages: [{ $ref: ref }],
      bindings: { nats: { ...(!facts.perInstance && { queue: b.durable }), bindingVersion: '0.1.0' } },
      'x-jetstream-consumer': {
        stream: b.stream ?? null,
        durable: b.durable,
        mode: b.mode,
        deliverPolicy: b.deliverPolicy,
        ackWait: formatMs(b.ackWaitMs),
        maxDeliver: b.maxDeliver,
        backoff: b.backoffMs.map(formatMs),
        maxAckPending: b.maxAckPending,
        concurrency: b.concurrency,
        handlerTimeout: formatMs(b.handlerTimeoutMs),
        manualAck: b.manualAck,
        deadLetter: deadLetter ?? null,
      },
    };
    if (deadLetter) this.deadLetterRoute(deadLetter, h, serviceName);
  }

  private deadLetterRoute(subject: string, from: ContractHandler, serviceName: string): void {
    const { channelId, ref } = this.message(subject, undefined, true);
    const base = `deadLetter_${channelId}`;
    const existing = this.operations[base];
    const line = `- ${from.binding.subject} (${from.owner ?? from.binding.durable})`;
    if (existing) {
      existing.description = `${existing.description}\n${line}`;
      return;
    }
    this.operations[base] = {
      action: 'send',
      channel: { $ref: `#/channels/${channelId}` },
      title: `Dead letters to ${subject}`,
      summary: `${serviceName} dead-letters here what its handlers fail for good (attempts exhausted, or a poison message such as a payload that fails its schema).`,
      description: `From the handlers of:\n${line}`,
      messages: [{ $ref: ref }],
      bindings: { nats: { bindingVersion: '0.1.0' } },
    };
  }

  send(p: PublishContract, serviceName: string): void {
    const { channelId, ref } = this.message(p.subject, p.schema);
    this.operations[this.operationId(`send_${channelId}`)] = {
      action: 'send',
      channel: { $ref: `#/channels/${channelId}` },
      title: p.subject,
      summary: p.description ?? `${serviceName} publishes ${p.subject}`,
      messages: [{ $ref: ref }],
      bindings: { nats: { bindingVersion: '0.1.0' } },
    };
  }
}

/** `deadletter.{subject}` → `deadletter.>`: the subjects a dead-letter template makes, or undefined when no filter says it. */
function deadLetterFilter(template: unknown): string | undefined {
  if (typeof template !== 'string') return undefined;
  const filter = template.replace(/\{subject\}$/, '>').replace(/\{(stream|durable)\}/g, '*');
  return filter.includes('{') || subjectProblem(filter) ? undefined : filter;
}

function payloadMessage(name: string, subject: string, schema: PayloadSchema | undefined): AsyncApiMessage {
  const json = schema ? payloadJsonSchema(schema) : undefined;
  const payload: JsonSchema = json
    ? { ...json, 'x-schema-vendor': vendorOf(schema!) }
    : { description: 'No schema declared: any payload the codec accepts (give the handler or the publish a schema to document and validate it).' };
  return { name, title: typeof json?.title === 'string' ? json.title : name, summary: `The payload on ${subject}.`, payload };
}

function streamFacts(s: StreamDeclaration): Record<string, unknown> {
  const { extra: _extra, ...declared } = s;
  return { retention: 'limits', storage: 'file', replicas: 1, discard: 'old', ...declared };
}

/**
 * The AsyncAPI 3.0 document of an app, from what `collectAppContract` read: a channel per
 * subject, a `receive` operation per handler (with its consumer settings), a `send` operation per
 * declared publish and per dead-letter route, and a message per payload schema. Pure.
 */
export function asyncApiDocumentOf(app: AppContract, options: AsyncApiDocumentOptions = {}): AsyncApiDocument {
  const serviceName = app.options.serviceName ?? DEFAULTS.serviceName;
  const builder = new DocumentBuilder(app.options.streams ?? [], deadLetterFilter(app.options.deadLetter));
  for (const h of app.handlers) builder.receive(h, serviceName);
  for (const p of app.publishes) builder.send(p, serviceName);
  const host = options.serverHost ?? hostOf(app.options.connection?.servers) ?? 'localhost:4222';
  return {
    asyncapi: '3.0.0',
    info: {
      title: options.title ?? serviceName,
      version: options.version ?? app.options.contract?.version ?? '0.0.0',
      description: [
        app.options.contract?.description,
        `Generated by @nest-jetstream/transport from the ${serviceName} service's handlers and declared publishes: NATS JetStream subjects, their streams, consumers and dead-letter routes.`,
      ]
        .filter(Boolean)
        .join('\n\n'),
    },
    defaultContentType: 'application/json',
    servers: { nats: { host, protocol: 'nats', description: 'The NATS server (JetStream enabled) the service connects to.' } },
    channels: builder.channels,
    operations: builder.operations,
    components: { messages: builder.messages },
  };
}
