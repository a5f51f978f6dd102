import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager, type JetStreamPublishOptions as JsPublishOptions } from '@nats-io/jetstream';
import { NoStreamForSubjectError } from '../errors/provisioning.error.js';
import { PublishFailedError, PublishRejectedError } from '../errors/publish.errors.js';
import type { JetStreamPublishOptions } from '../record-builders/jetstream.record-builder.js';
import { captures, StreamFactsCache } from './stream-facts-cache.js';
import { newScheduleSubject, readTimingOptions, serverProblem, streamProblem, type StreamTimingFacts } from './timing-options.js';

/** Where a timed publish goes and the client options that write its headers. */
export interface TimedPublish {
  /** The subject itself, or (for a schedule) the schedule's own subject in the same stream. */
  subject: string;
  options: Pick<JsPublishOptions, 'ttl' | 'schedule'>;
  /** The stream whose settings allowed it. */
  stream: string;
}

/**
 * The server's refusals that a change of the stream explains (TTL or schedules disabled, target
 * outside the stream): the stream is read again. A bad value (10165, 10191) is not: it is the
 * caller's, and reaches it as the server's refusal, with no second publish.
 */
const STREAM_REFUSALS = new Set([10166, 10188, 10190]);

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
  /** Re-reads in flight, by the stream found stale: refusals that arrive together share one. */
  private readonly rereads = new Map<string, Promise<StreamTimingFacts>>();
  /** The stream facts each plan was made with: a refusal after a newer read needs no read of its own. */
  private readonly plannedWith = new WeakMap<TimedPublish, StreamTimingFacts>();

  constructor(
    private readonly jsm: JetStreamManager,
    /** The connected server's version (`nc.info.version`); undefined leaves the decision to the stream's settings. */
    private readonly serverVersion: () => string | undefined,
  ) {}

  /** Throws `PublishOptionUnsupportedError` (or `JetStreamConfigError` for a bad value) when it cannot be honoured. */
  async plan(subject: string, options: JetStreamPublishOptions, fresh?: StreamTimingFacts): Promise<TimedPublish> {
    const request = readTimingOptions(options);
    const tooOld = serverProblem(subject, request, this.serverVersion());
    if (tooOld) throw tooOld;
    // Publishes that miss while a stream is being read wait for that read first: 256 timed publishes
    // in flight on a cold cache make one lookup, not 256.
    if (!fresh && this.reading && !this.cache.find(subject)) await this.reading.catch(() => undefined);
    let stream = fresh && captures(fresh, subject) ? fresh : this.cache.find(subject);
    // Cached settings may be stale (someone turned the setting on): a refusal is always confirmed by
    // a fresh read, one for all the publishes that ask while it is in flight.
    if (stream && stream !== fresh && streamProblem(subject, request, stream)) stream = await this.reread(subject, stream.name);
    stream ??= await this.read(subject);
    const missing = streamProblem(subject, request, stream);
    if (missing) throw missing;
    const timed: TimedPublish = !request.deliverAt
      ? { subject, options: { ttl: request.ttl }, stream: stream.name }
      : {
          subject: newScheduleSubject(stream.name),
          options: { schedule: { specification: request.deliverAt, target: subject, ttl: request.ttl } },
          stream: stream.name,
        };
    this.plannedWith.set(timed, stream);
    return timed;
  }

  /**
   * After a timed publish failed: when the server refused it for a reason a change of the stream
   * explains (or no stream took the subject), the stream is read again (once, however many
   * publishes were refused together); the library's error when it lost the setting, else a new
   * plan to send once more (the subject moved to another stream, or the stream was recreated).
   * Any other failure: `err` as it is.
   */
  async explain(subject: string, options: JetStreamPublishOptions, err: unknown, planned: TimedPublish): Promise<TimedPublish> {
    const refused =
      (err instanceof PublishRejectedError && err.apiCode !== undefined && STREAM_REFUSALS.has(err.apiCode)) || err instanceof NoStreamForSubjectError;
    if (!refused) throw err;
    const current = this.cache.find(subject);
    // Read again since this publish was planned (another refusal did it): that read is the answer.
    if (current && current !== this.plannedWith.get(planned)) return this.plan(subject, options, current);
    return this.plan(subject, options, await this.reread(subject, planned.stream));
  }

  /** Reads the stream that captures `subject` and remembers it; publishes that miss meanwhile wait for it (see `plan`). */
  private async read(subject: string): Promise<StreamTimingFacts> {
    const read = this.readStream(subject);
    this.reading = read;
    let facts: StreamTimingFacts;
    try {
      facts = await read;
    } finally {
      if (this.reading === read) this.reading = undefined;
    }
    this.cache.remember(subject, facts);
    return facts;
  }

  /** Reads again the stream `stale` thought to capture `subject`: one read for every caller while it is in flight. */
  private reread(subject: string, stale: string): Promise<StreamTimingFacts> {
    const inFlight = this.rereads.get(stale);
    if (inFlight) return inFlight;
    this.cache.forget(stale);
    const other = this.cache.find(subject);
    if (other) this.cache.forget(other.name);
    const read = this.read(subject);
    this.rereads.set(stale, read);
    const done = () => void (this.rereads.get(stale) === read && this.rereads.delete(stale));
    read.then(done, done);
    return read;
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
