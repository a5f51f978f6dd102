import { PubHeaders } from '@nats-io/jetstream';
import { headers as createHeaders, type MsgHdrs } from '@nats-io/nats-core';
import type { JetStreamPublishOptions } from '../record-builders/jetstream.record-builder.js';
import { toHeaders } from './publisher.js';

/** One message of `client.publishBatch()`: its subject, its data (encoded by the client's codec) and its own publish options. */
export interface BatchMessage<T = unknown> extends Pick<JetStreamPublishOptions, 'msgId' | 'headers' | 'expect'> {
  subject: string;
  data: T;
}

/** The headers of one batch message (its own, its msgId, its expectations); undefined when it has none. */
export function batchMessageHeaders(subject: string, options: Pick<JetStreamPublishOptions, 'msgId' | 'headers' | 'expect'>): MsgHdrs | undefined {
  const { msgId, headers, expect } = options;
  if (!msgId && !headers && !expect) return undefined;
  const h = toHeaders(headers, subject) ?? createHeaders();
  if (msgId) h.set(PubHeaders.MsgIdHdr, msgId);
  if (expect?.stream) h.set(PubHeaders.ExpectedStreamHdr, expect.stream);
  if (expect?.lastSequence !== undefined) h.set(PubHeaders.ExpectedLastSeqHdr, String(expect.lastSequence));
  if (expect?.lastSubjectSequence !== undefined) h.set(PubHeaders.ExpectedLastSubjectSequenceHdr, String(expect.lastSubjectSequence));
  if (expect?.lastMsgId) h.set(PubHeaders.ExpectedLastMsgIdHdr, expect.lastMsgId);
  return h;
}
