import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager, type JetStreamPublishOptions as JsPublishOptions } from '@nats-io/jetstream';
import { NoStreamForSubjectError } from '../errors/provisioning.error.js';
import { PublishFailedError, PublishRejectedError } from '../errors/publish.errors.js';
import type { JetStreamPublishOptions } from '../record-builders/jetstream.record-builder.js';
import { newScheduleSubject, readTimingOptions, serverProblem, streamProblem, type StreamTimingFacts } from './timing-options.js';

/** Where a timed publish goes and the client options that write its headers. */
export interface TimedPublish {
  /** The subject itself, or (for a schedule) the schedule's own subject in the same stream. */
  subject: string;
  options: Pick<JsPublishOptions, 'ttl' | 'schedule'>;
}

/** The server's refusals of a TTL or a schedule: the stream may have changed since it was read. */
const TIMING_REFUSALS = new Set([10165, 10166, 10188, 10190, 10191]);
const STREAMS_KEPT = 10_000;

/**
 * Checks a publish with `ttl`, `deliverAt` or `delay` before it is sent: the connected server's
 * version, then the settings of the stream that captures the subject (read once per subject and
 * kept while they allow it; read again after the server refuses a timed publish).
 */
export class MessageTiming {
  private readonly streams = new Map<string, StreamTimingFacts>();

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
    const stream = this.streams.get(subject) ?? (await this.readStream(subject));
    const missing = streamProblem(subject, request, stream);
    if (missing) {
      this.streams.delete(subject); // read again next time: someone may turn the setting on
      throw missing;
    }
    if (this.streams.size < STREAMS_KEPT) this.streams.set(subject, stream);
    if (!request.deliverAt) return { subject, options: { ttl: request.ttl } };
    return { subject: newScheduleSubject(stream.name), options: { schedule: { specification: request.deliverAt, target: subject, ttl: request.ttl } } };
  }

  /**
   * After a timed publish failed: when the server refused the TTL or schedule (or no stream took
   * the schedule's subject), the stream is read again and the library's error says what changed;
   * otherwise `err` as it is.
   */
  async explain(subject: string, options: JetStreamPublishOptions, err: unknown): Promise<never> {
    const refused = (err instanceof PublishRejectedError && err.apiCode !== undefined && TIMING_REFUSALS.has(err.apiCode)) || err instanceof NoStreamForSubjectError;
    if (refused) {
      this.streams.delete(subject);
      await this.plan(subject, options); // throws the library's error when the stream lost the setting
    }
    throw err;
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
      throw new PublishFailedError(subject, `could not read the settings of the stream that captures it: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
}
