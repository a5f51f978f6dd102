import { JetStreamErrorCode, JetStreamTransportError } from './jetstream-transport.error.js';

/** The publish options that need a feature of the server and of the stream. */
export type TimedPublishOption = 'ttl' | 'deliverAt' | 'delay';

/** What is missing for a timed publish: the server's version, or a setting of the stream. */
export interface PublishOptionUnsupportedDetail {
  /** The stream that captures the subject (absent when the server itself is too old). */
  stream?: string;
  /** The stream setting that is missing, in the server's name (`allow_msg_ttl`, `allow_msg_schedules`, `retention`, `subjects`). */
  setting?: string;
  /** The connected server's version (`nc.info.version`). */
  serverVersion?: string;
  /** The oldest nats-server with the feature. */
  minServerVersion?: string;
}

/**
 * A publish with `ttl`, `deliverAt` or `delay` that the server or the stream cannot honour.
 * Checked before anything is sent: nothing was stored.
 */
export class PublishOptionUnsupportedError extends JetStreamTransportError {
  readonly stream?: string;
  readonly setting?: string;
  readonly serverVersion?: string;
  readonly minServerVersion?: string;

  constructor(
    readonly subject: string,
    readonly option: TimedPublishOption,
    detail: PublishOptionUnsupportedDetail,
    /** Why, and how to fix it. */
    explanation: string,
  ) {
    super(JetStreamErrorCode.PublishOptionUnsupported, `Cannot publish to "${subject}" with ${option}: ${explanation} Nothing was sent.`);
    this.name = 'PublishOptionUnsupportedError';
    this.stream = detail.stream;
    this.setting = detail.setting;
    this.serverVersion = detail.serverVersion;
    this.minServerVersion = detail.minServerVersion;
  }
}
