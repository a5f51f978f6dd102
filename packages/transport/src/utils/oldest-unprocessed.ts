import type { ConsumerInfo, JetStreamManager, MsgRequest, StoredMsg } from '@nats-io/jetstream';

/**
 * The oldest message a consumer has not settled yet: the first message of its filter subject
 * after its ack floor (the message right after the floor may be another subject's, when the
 * stream is shared). Null when nothing is unprocessed, or it cannot be read. Read by the health
 * check and the metrics poll.
 */
export async function oldestUnprocessed(jsm: JetStreamManager, stream: string, subject: string, info: ConsumerInfo): Promise<StoredMsg | null> {
  if (info.num_pending + info.num_ack_pending === 0) return null;
  // STREAM.MSG.GET takes next_by_subj with seq (every supported server); the client's type lists only seq or last_by_subj.
  const query = { seq: info.ack_floor.stream_seq + 1, next_by_subj: subject } as unknown as MsgRequest;
  return jsm.streams.getMessage(stream, query).catch(() => null);
}

/** How old a stored message is, in ms (0 for none). */
export function ageMs(msg: StoredMsg | null, now = Date.now()): number {
  return msg ? Math.max(0, now - msg.time.getTime()) : 0;
}
