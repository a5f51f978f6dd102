import { JetStreamApiCodes, JetStreamApiError, type ConsumerInfo, type JetStreamManager } from '@nats-io/jetstream';
import { modeOf } from '../../delivery/modes.js';
import { findLeftBehind, type LeftBehindConsumer } from '../../provisioning/left-behind-consumers.js';
import { ageMs, oldestUnprocessed } from '../../utils/oldest-unprocessed.js';
import type { LoadedApp } from '../app/app-loader.js';
import { requireStreamOf } from '../app/app-streams.js';
import type { CliConnection } from '../cli-command.js';

/** One handler's consumer on the server, as `consumers` shows it. */
export interface ConsumerRow {
  app: string;
  subject: string;
  mode: string;
  stream: string;
  consumer: string;
  /** False when the handler's consumer is not on the server (it or its stream not provisioned yet, or no instance running for a per-instance mode). */
  exists: boolean;
  pending?: number;
  ackPending?: number;
  redelivered?: number;
  /** Age of the oldest message not processed yet, in ms (0 when none). */
  oldestUnprocessedMs?: number;
  paused?: boolean;
}

/** A consumer on the apps' streams that none of their handlers owns and that does not carry an app's prefix: another service's, or made by hand. */
export interface OtherConsumer {
  stream: string;
  consumer: string;
  pending: number;
  ackPending: number;
  /** False for an ephemeral or ordered consumer (the server removes it when unused). */
  durable: boolean;
}

/** What `consumers` found: the handlers' consumers, those on the apps' streams that no handler owns, and the others there. */
export interface ConsumersView {
  server: string;
  handlers: ConsumerRow[];
  /** Left behind: this service's prefix, no handler of it uses them (`--prune` removes them). */
  unowned: (LeftBehindConsumer & { app: string })[];
  /** Not any given app's (another prefix, or none): listed, never pruned. */
  others: OtherConsumer[];
  unreadable: { stream: string; reason: string }[];
}

function rowOf(base: Omit<ConsumerRow, 'exists'>, info: ConsumerInfo, oldestMs: number): ConsumerRow {
  return {
    ...base,
    exists: true,
    pending: info.num_pending,
    ackPending: info.num_ack_pending,
    redelivered: info.num_redelivered,
    oldestUnprocessedMs: oldestMs,
    paused: info.paused === true,
  };
}

/** Reads every handler's consumer (per-instance modes: each running instance's) and the consumers no handler owns. */
export async function readConsumers(conn: CliConnection, apps: readonly LoadedApp[], progress: (text: string) => void): Promise<ConsumersView> {
  const { jsm } = conn;
  const view: ConsumersView = { server: conn.server, handlers: [], unowned: [], others: [], unreadable: [] };
  const ownedByAny = new Set<string>();
  const allStreams = new Set<string>();
  for (const app of apps) {
    const owned = new Set<string>();
    const streams = new Set<string>();
    for (const handler of app.handlers) {
      const b = handler.binding;
      const stream = await requireStreamOf(app, handler, jsm);
      streams.add(stream);
      progress(`reading ${stream}/${b.durable}...`);
      const base = { app: app.name, subject: b.subject, mode: b.mode, stream, consumer: b.durable };
      if (modeOf(b).perInstance) {
        const instances = await instanceConsumers(jsm, stream, b.durable).catch((err: unknown) => {
          if (isNotFound(err)) return [];
          throw conn.serverError(`list the consumers of stream ${stream}`, err);
        });
        for (const info of instances) {
          ownedByAny.add(`${stream}/${info.name}`);
          view.handlers.push(rowOf({ ...base, consumer: info.name }, info, await oldestMs(jsm, stream, b.subject, info)));
        }
        if (instances.length === 0) view.handlers.push({ ...base, consumer: `${b.durable}_*`, exists: false });
        continue;
      }
      owned.add(`${stream}/${b.durable}`);
      const info = await jsm.consumers.info(stream, b.durable).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw conn.serverError(`read consumer ${stream}/${b.durable}`, err);
      });
      view.handlers.push(info ? rowOf(base, info, await oldestMs(jsm, stream, b.subject, info)) : { ...base, exists: false });
    }
    const scan = await findLeftBehind(jsm, [...streams], app.serviceName, owned);
    view.unowned.push(...scan.consumers.map((c) => ({ ...c, app: app.name })));
    view.unreadable.push(...scan.unreadable);
    for (const key of owned) ownedByAny.add(key);
    for (const stream of streams) allStreams.add(stream);
  }
  for (const c of view.unowned) ownedByAny.add(`${c.stream}/${c.consumer}`);
  const unreadable = new Set(view.unreadable.map((u) => u.stream));
  for (const stream of allStreams) {
    if (unreadable.has(stream)) continue;
    progress(`listing the consumers of ${stream}...`);
    for await (const info of jsm.consumers.list(stream)) {
      if (ownedByAny.has(`${stream}/${info.name}`)) continue;
      view.others.push({
        stream,
        consumer: info.name,
        pending: info.num_pending,
        ackPending: info.num_ack_pending,
        durable: info.config.durable_name !== undefined,
      });
    }
  }
  return view;
}

async function instanceConsumers(jsm: JetStreamManager, stream: string, prefix: string): Promise<ConsumerInfo[]> {
  const found: ConsumerInfo[] = [];
  for await (const info of jsm.consumers.list(stream)) if (info.name.startsWith(`${prefix}_`)) found.push(info);
  return found;
}

async function oldestMs(jsm: JetStreamManager, stream: string, subject: string, info: ConsumerInfo): Promise<number> {
  return ageMs(await oldestUnprocessed(jsm, stream, info.config.filter_subject ?? subject, info));
}

function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.ConsumerNotFound || err.code === JetStreamApiCodes.StreamNotFound);
}
