import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager, type JetStreamPublishOptions as JsPublishOptions } from '@nats-io/jetstream';
import { NoStreamForSubjectError } from '../errors/provisioning.error.js';
import { PublishFailedError, PublishRejectedError } from '../errors/publish.errors.js';
import type { JetStreamPublishOptions } from '../record-builders/jetstream.record-builder.js';
import { StreamFactsCache } from './stream-facts-cache.js';
import { newScheduleSubject, readTimingOptions, serverProblem, streamProblem, type StreamTimingFacts } from './timing-options.js';

/** Where a timed publish goes and the client options that write its headers. */
export interface TimedPublish {
  /** The subject itself, or (for a schedule) the schedule's own subject in the same stream. */
  subject: string;
  options: Pick<JsPublishOptions, 'ttl' | 'schedule'>;
  /** The stream whose settings allowed it. */
  stream: string;
}

/** The server's refusals of a TTL or a schedule: the stream may have changed since it was read. */
const TIMING_REFUSALS = new Set([10165, 10166, 10188, 10190, 10191]);

/**
 * Checks a publish with `ttl`, `deliverAt` or `delay` before it is sent: the connected server's
 * version, then the settings of the stream that captures the subject. Streams are read once and
 * matched against each new subject locally (`StreamFactsCache`), so a publisher with 100,000
 * subjects on one stream reads that stream once; a stream is read again when the server refuses a
 * timed publish, and before the library itself refuses one on cached settings.
 */
export class MessageTiming {
  private readonly cache = new StreamFactsCache();
  /** The stream read in flight, if any. */
  private reading?: Promise<StreamTimingFacts>;

  constructor(
    private readonly jsm: JetStreamManager,
    /** The connected server's version (`nc.info.version`); undefined leaves the decision to the stream's settings. */
    private readonly serverVersion: () => string | undefined,
  ) {}

  /** Throws `PublishOptionUnsupportedError` (or `JetStreamConfigError` for a bad value) when it cannot be honoured. */
  async plan(subject: string, options: JetStreamPublishOptions): Promise<TimedPublish> {
    const request = readTimingOptions(options);
    const tooOld = serverProblem(subject, request, this.serverVersion());
    if (tooOld) throw tooOld;
    // Publishes that miss while a stream is being read wait for that read first: 256 timed publishes
    // in flight on a cold cache make one lookup, not 256.
    if (this.reading && !this.cache.find(subject)) await this.reading.catch(() => undefined);
    let stream = this.cache.find(subject);
    // Cached settings may be stale (someone turned the setting on): a refusal is always confirmed by a fresh read.
    if (stream && streamProblem(subject, request, stream)) stream = undefined;
    if (!stream) {
      const read = this.readStream(subject);
      this.reading = read;
      try {
        stream = await read;
      } finally {
        if (this.reading === read) this.reading = undefined;
      }
      this.cache.remember(subject, stream);
    }
    const missing = streamProblem(subject, request, stream);
    if (missing) throw missing;
    if (!request.deliverAt) return { subject, options: { ttl: request.ttl }, stream: stream.name };
    return {
      subject: newScheduleSubject(stream.name),
      options: { schedule: { specification: request.deliverAt, target: subject, ttl: request.ttl } },
      stream: stream.name,
    };
  }

  /**
   * After a timed publish failed: when the server refused the TTL or schedule (or no stream took
   * the subject), the stream is read again; the library's error when it lost the setting, else a
   * new plan to send once more (the subject moved to another stream, or the stream was recreated).
   * Any other failure: `err` as it is.
   */
  async explain(subject: string, options: JetStreamPublishOptions, err: unknown, planned: TimedPublish): Promise<TimedPublish> {
    const refused =
      (err instanceof PublishRejectedError && err.apiCode !== undefined && TIMING_REFUSALS.has(err.apiCode)) || err instanceof NoStreamForSubjectError;
    if (!refused) throw err;
    this.cache.forget(planned.stream);
    const stale = this.cache.find(subject);
    if (stale) this.cache.forget(stale.name);
    return this.plan(subject, options); // throws the library's error when the stream lost the setting
  }

  private async readStream(subject: string): Promise<StreamTimingFacts> {
    try {
      const name = await this.jsm.streams.find(subject);
      const { config } = await this.jsm.streams.info(name);
      return {
        name,
        allowMsgTtl: config.allow_msg_ttl === true,
        allowMsgSchedules: config.allow_msg_schedules === true,
        retention: String(config.retention),
        subjects: config.subjects ?? [],
      };
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) throw new NoStreamForSubjectError(subject);
      throw new PublishFailedError(subject, `could not read the settings of the stream that captures it: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
  }
}
