// The parts of an AsyncAPI 3.0 document the library writes (https://www.asyncapi.com/docs/reference/specification/v3.0.0).

/** A JSON Schema (draft 07), as AsyncAPI's default schema format takes it. */
export type JsonSchema = Record<string, unknown>;

export interface AsyncApiRef {
  readonly $ref: string;
}

export interface AsyncApiMessage {
  name: string;
  title?: string;
  summary?: string;
  description?: string;
  contentType?: string;
  headers?: JsonSchema;
  payload: JsonSchema;
}

export interface AsyncApiChannel {
  address: string;
  title?: string;
  description?: string;
  messages: Record<string, AsyncApiRef>;
  parameters?: Record<string, { description: string }>;
  /** The stream that stores the subject (as declared): retention, storage, limits. */
  'x-jetstream-stream'?: Record<string, unknown>;
}

export interface AsyncApiOperation {
  action: 'send' | 'receive';
  channel: AsyncApiRef;
  title?: string;
  summary?: string;
  description?: string;
  messages: AsyncApiRef[];
  bindings?: { nats: { queue?: string; bindingVersion: '0.1.0' } };
  /** The handler's consumer: durable, delivery mode, acks, redeliveries, dead-letter route. */
  'x-jetstream-consumer'?: Record<string, unknown>;
}

/** An AsyncAPI 3.0 document of one service. */
export interface AsyncApiDocument {
  asyncapi: '3.0.0';
  info: { title: string; version: string; description?: string };
  defaultContentType: string;
  servers?: Record<string, { host: string; protocol: 'nats'; description?: string }>;
  channels: Record<string, AsyncApiChannel>;
  operations: Record<string, AsyncApiOperation>;
  components: { messages: Record<string, AsyncApiMessage> };
}
