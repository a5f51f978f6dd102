import { AckPolicy, DeliverPolicy, RetentionPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Publisher, resolvePublishDefaults } from '../publishing/publisher.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { toNanos } from '../utils/duration.js';
import { matchesDeadLetter, type DeadLetterFilter } from './dead-letter-browse.js';
import { originalHeaders, readDeadLetter } from './dead-letter-headers.js';

export interface RedriveOptions extends DeadLetterFilter {
  /** The dead-letter stream to read. */
  stream: string;
  /** Redrive at most this many. Default 1000. */
  limit?: number;
}

export interface RedriveResult {
  /** Republished to their original subject and removed from the dead-letter stream. */
  redriven: number;
  /** Looked at but outside the filters (left where they are). */
  skipped: number;
}

const BATCH = 100;

/**
 * Republishes dead letters to their original subject with their original headers (without
 * the `Dead-Letter-*` ones) and msgId `redrive:<dlq stream>:<dlq seq>`, so a retried redrive
 * never doubles a message. Each dead letter is acknowledged (and removed from a stream that
 * is not a work queue) only after the republish's PubAck.
 */
export async function redriveDeadLetters(nc: NatsConnection, options: RedriveOptions): Promise<RedriveResult> {
  const limit = options.limit ?? 1000;
  if (!Number.isInteger(limit) || limit < 1) throw new JetStreamConfigError(`redrive limit must be a whole number ≥ 1; got ${limit}.`);
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const info = await jsm.streams.info(options.stream).catch((err: unknown) => {
    throw new JetStreamConfigError(`Cannot redrive from stream "${options.stream}": ${err instanceof Error ? err.message : String(err)}.`, { cause: err });
  });
  const workQueue = info.config.retention === RetentionPolicy.Workqueue;
  const publisher = new Publisher(js, jsm, resolvePublishDefaults());
  const ci = await jsm.consumers.add(options.stream, {
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    inactive_threshold: toNanos('5m', 'inactive_threshold'),
  });
  const result: RedriveResult = { redriven: 0, skipped: 0 };
  try {
    const consumer = await js.consumers.get(options.stream, ci.name);
    let remaining = ci.num_pending;
    while (remaining > 0 && result.redriven < limit) {
      const batch = await consumer.fetch({ max_messages: Math.min(BATCH, remaining), expires: 2000 });
      let got = 0;
      for await (const msg of batch) {
        got++;
        remaining--;
        if (result.redriven >= limit || !matchesDeadLetter(msg.headers, options)) {
          result.skipped++;
          continue;
        }
        await redriveOne(msg, options.stream, publisher);
        if (!workQueue) await jsm.streams.deleteMessage(options.stream, msg.seq, false);
        result.redriven++;
      }
      if (got === 0) break;
    }
  } finally {
    await jsm.consumers.delete(options.stream, ci.name).catch(() => undefined);
  }
  return result;
}

async function redriveOne(msg: JsMsg, stream: string, publisher: Publisher): Promise<void> {
  const dl = readDeadLetter(msg.headers);
  if (!dl) return;
  await publisher.publish(dl.subject, msg.data, { msgId: `redrive:${stream}:${msg.seq}`, headers: originalHeaders(msg.headers) });
  await msg.ackAck();
}
