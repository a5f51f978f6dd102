// The JetStream manager's streams and consumers API in memory, for unit tests of the provisioner:
// the server's state in two maps, every write recorded, and the server's refusals on demand.
import {
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { subjectMatches } from '../utils/subjects.js';

/** The manager calls the provisioner makes. */
export type ManagerCall = 'streams.add' | 'streams.update' | 'consumers.add' | 'consumers.update';

/** JetStream API error code: stream name already in use. */
const STREAM_NAME_IN_USE = 10058;
/** JetStream API error code: consumer already exists (2.10+, on a create). */
const CONSUMER_EXISTS = 10148;

export function apiError(code: number, description: string): JetStreamApiError {
  return new JetStreamApiError({ code: code === STREAM_NAME_IN_USE ? 400 : 404, err_code: code, description });
}

export class FakeJetStreamManager {
  readonly streamConfigs = new Map<string, Partial<StreamConfig> & { name: string }>();
  /** Keyed `stream/durable`. */
  readonly consumerConfigs = new Map<string, Partial<ConsumerConfig>>();
  /** Every write, in order: what was called, on which stream or consumer, with what. */
  readonly writes: { call: ManagerCall; name: string; config: Record<string, unknown> }[] = [];
  /** Makes the next calls of a kind fail with this error (the server refuses). */
  readonly refuse = new Map<ManagerCall | 'streams.list', Error>();
  /** Runs before the next `add` of a kind: another instance creating the same thing first. */
  readonly before = new Map<ManagerCall, () => void>();

  /** The provisioner's view: only the members it uses exist. */
  get jsm(): JetStreamManager {
    return { streams: this.streams, consumers: this.consumers } as unknown as JetStreamManager;
  }

  addStream(config: Partial<StreamConfig> & { name: string }): void {
    this.streamConfigs.set(config.name, config);
  }

  addConsumer(stream: string, config: Partial<ConsumerConfig> & { durable_name: string }): void {
    this.consumerConfigs.set(`${stream}/${config.durable_name}`, config);
  }

  /** Lets what `before` holds for `call` happen first. */
  private race(call: ManagerCall): void {
    const first = this.before.get(call);
    this.before.delete(call);
    first?.();
  }

  private write(call: ManagerCall, name: string, config: object): void {
    const refusal = this.refuse.get(call);
    if (refusal) throw refusal;
    this.writes.push({ call, name, config: { ...config } });
  }

  private streamInfo(name: string): StreamInfo {
    const config = this.streamConfigs.get(name);
    if (!config) throw apiError(JetStreamApiCodes.StreamNotFound, 'stream not found');
    return { config, state: { messages: 0, last_seq: 0 }, created: '2026-01-01T00:00:00Z' } as unknown as StreamInfo;
  }

  private readonly streams = {
    info: async (name: string): Promise<StreamInfo> => this.streamInfo(name),
    add: async (config: Partial<StreamConfig> & { name: string }): Promise<StreamInfo> => {
      this.race('streams.add');
      if (this.streamConfigs.has(config.name)) throw apiError(STREAM_NAME_IN_USE, 'stream name already in use with a different configuration');
      this.write('streams.add', config.name, config);
      this.streamConfigs.set(config.name, { ...config });
      return this.streamInfo(config.name);
    },
    update: async (name: string, changes: Partial<StreamConfig>): Promise<StreamInfo> => {
      const current = this.streamInfo(name).config;
      this.write('streams.update', name, changes);
      this.streamConfigs.set(name, { ...current, ...changes, name });
      return this.streamInfo(name);
    },
    find: async (subject: string): Promise<string> => {
      const found = [...this.streamConfigs.values()].find((c) => (c.subjects ?? []).some((s) => subjectMatches(s, subject)));
      if (!found) throw apiError(JetStreamApiCodes.StreamNotFound, 'no stream matches subject');
      return found.name;
    },
    list: () => {
      const refusal = this.refuse.get('streams.list');
      const infos = [...this.streamConfigs.keys()].map((name) => this.streamInfo(name));
      return (async function* () {
        if (refusal) throw refusal;
        yield* infos;
      })();
    },
  };

  private consumerInfo(stream: string, durable: string): ConsumerInfo {
    this.streamInfo(stream);
    const config = this.consumerConfigs.get(`${stream}/${durable}`);
    if (!config) throw apiError(JetStreamApiCodes.ConsumerNotFound, 'consumer not found');
    return { stream_name: stream, name: durable, config } as unknown as ConsumerInfo;
  }

  private readonly consumers = {
    info: async (stream: string, durable: string): Promise<ConsumerInfo> => this.consumerInfo(stream, durable),
    add: async (stream: string, config: Partial<ConsumerConfig> & { durable_name: string }): Promise<ConsumerInfo> => {
      this.race('consumers.add');
      if (this.consumerConfigs.has(`${stream}/${config.durable_name}`)) throw apiError(CONSUMER_EXISTS, 'consumer already exists');
      this.write('consumers.add', `${stream}/${config.durable_name}`, config);
      this.streamInfo(stream);
      this.consumerConfigs.set(`${stream}/${config.durable_name}`, { ...config });
      return this.consumerInfo(stream, config.durable_name);
    },
    update: async (stream: string, durable: string, changes: Partial<ConsumerConfig>): Promise<ConsumerInfo> => {
      const current = this.consumerInfo(stream, durable).config;
      this.write('consumers.update', `${stream}/${durable}`, changes);
      this.consumerConfigs.set(`${stream}/${durable}`, { ...current, ...changes });
      return this.consumerInfo(stream, durable);
    },
    list: (stream: string) => {
      const infos = [...this.consumerConfigs.keys()]
        .filter((k) => k.startsWith(`${stream}/`))
        .map((k) => this.consumerInfo(stream, k.slice(stream.length + 1)));
      return (async function* () {
        yield* infos;
      })();
    },
  };
}
