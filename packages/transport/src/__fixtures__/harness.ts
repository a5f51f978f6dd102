// Test harness: a real nats-server from our launcher, a Nest microservice with the
// JetStreamServer, and a raw client to look at the server's side of things.
import { randomBytes } from 'node:crypto';
import { JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager, type JetStreamClient as RawJs, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { NestFactory } from '@nestjs/core';
import type { INestMicroservice, LoggerService, Type } from '@nestjs/common';
import { NatsServer, waitFor } from '@nest-jetstream/testing';
import { JetStreamServer } from '../server/jetstream.server.js';
import { JetStreamClient } from '../client/jetstream.client.js';
import type { JetStreamOptions } from '../interfaces/jetstream-options.interface.js';

/** A random stream-safe name, so tests never share state. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`.toUpperCase();
}

export class Harness {
  server!: NatsServer;
  nc!: NatsConnection;
  js!: RawJs;
  jsm!: JetStreamManager;
  private apps: INestMicroservice[] = [];

  /** `config`: more nats-server configuration (e.g. `max_payload: 8192`). */
  async start(config?: string): Promise<this> {
    this.server = await NatsServer.start(config === undefined ? undefined : { config });
    this.nc = await connect({ servers: this.server.url });
    this.js = jetstream(this.nc);
    this.jsm = await jetstreamManager(this.nc);
    return this;
  }

  /** Boots `module` as a microservice on a JetStreamServer pointed at this harness's nats-server; `setup` runs before `listen()`. */
  async app(
    module: Type<unknown>,
    options: JetStreamOptions = {},
    setup?: (app: INestMicroservice) => void,
  ): Promise<{ app: INestMicroservice; strategy: JetStreamServer }> {
    const strategy = new JetStreamServer({ connection: { servers: this.server.url }, shutdownTimeout: '5s', ...options });
    const app = await NestFactory.createMicroservice(module, { strategy, logger: false });
    this.apps.push(app);
    setup?.(app);
    await app.listen();
    return { app, strategy };
  }

  async closeApps(): Promise<void> {
    const apps = this.apps;
    this.apps = [];
    await Promise.all(apps.map((a) => a.close()));
  }

  async stop(): Promise<void> {
    await this.closeApps();
    await this.nc?.close();
    await this.server?.stop();
  }
}

/** A spec file's server and a `JetStreamClient` on it, from `harnessWithClient()`. */
export interface HarnessWithClient {
  readonly h: Harness;
  /** The client; it exists once the spec file's `beforeAll` ran. */
  readonly client: JetStreamClient;
  /** How many messages `stream` holds now. */
  messagesIn(stream: string): Promise<number>;
}

/** A Harness started before the spec file's tests with a `JetStreamClient` on its server; both closed after them. */
export function harnessWithClient(): HarnessWithClient {
  const h = new Harness();
  let client: JetStreamClient | undefined;
  beforeAll(async () => {
    await h.start();
    client = new JetStreamClient({ connection: { servers: h.server.url } });
  });
  afterAll(async () => {
    await client?.close();
    await h.stop();
  });
  return {
    h,
    get client(): JetStreamClient {
      if (!client) throw new Error("harnessWithClient(): the client exists once the spec file's beforeAll ran; use it inside a test or hook");
      return client;
    },
    messagesIn: async (stream) => (await h.jsm.streams.info(stream)).state.messages,
  };
}

/**
 * Deletes a consumer, retrying what the server refuses for its own reasons: 2.9.10 can answer a
 * delete with "unlinkat …: directory not empty" while it writes the consumer's store.
 */
export async function deleteConsumer(jsm: JetStreamManager, stream: string, durable: string): Promise<void> {
  await waitFor(`consumer ${stream}/${durable} to be deleted`, () =>
    jsm.consumers.delete(stream, durable).catch((err: unknown) => {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return true;
      throw err;
    }),
  );
}

/** Collects what the library logs as warnings, through Nest's logger (`NestFactory.create(M, { logger })`). */
export class WarningLog implements LoggerService {
  readonly warnings: string[] = [];
  log(): void {}
  error(): void {}
  warn(message: unknown): void {
    this.warnings.push(String(message));
  }
}

/** Collects every line the library logs, with its level and context (`NestFactory.create(M, { logger })`). */
export class CapturedLog implements LoggerService {
  readonly lines: { level: 'log' | 'warn' | 'error'; message: string; context: string }[] = [];
  log(message: unknown, context?: unknown): void {
    this.lines.push({ level: 'log', message: String(message), context: String(context) });
  }
  warn(message: unknown, context?: unknown): void {
    this.lines.push({ level: 'warn', message: String(message), context: String(context) });
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.lines.push({ level: 'error', message: String(message), context: String(rest.at(-1)) });
  }
  /** The messages logged by `context` that match `pattern`. */
  matching(pattern: RegExp, context?: string): string[] {
    return this.lines.filter((l) => (context === undefined || l.context === context) && pattern.test(l.message)).map((l) => l.message);
  }
}

/** Records what handlers saw, for assertions with `waitFor`. */
export class Probe<T = unknown> {
  readonly seen: T[] = [];
  add(value: T): void {
    this.seen.push(value);
  }
  count(pred: (v: T) => boolean = () => true): number {
    return this.seen.filter(pred).length;
  }
}
