import type { JetStreamPublishOptions } from '../record-builders/jetstream.record-builder.js';

/** One message of `client.publishBatch()`: its subject, its data (encoded by the client's codec) and its own publish options. */
export interface BatchMessage<T = unknown> extends Pick<JetStreamPublishOptions, 'msgId' | 'headers' | 'expect'> {
  subject: string;
  data: T;
}
