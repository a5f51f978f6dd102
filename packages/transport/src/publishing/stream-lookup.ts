import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { NoStreamForSubjectError } from '../errors/provisioning.error.js';
import { subjectMatches } from '../utils/subjects.js';
import { toPublishError } from './publisher.js';

/** What the batch publishers need to know of a stream before they send anything. */
export interface StreamFacts {
  name: string;
  subjects: string[];
  /** `allow_atomic`: atomic batches (2.12+). */
  allowAtomic: boolean;
  /** `allow_batched`: fast-ingest batches (2.14+). */
  allowBatched: boolean;
}

/** Streams read once per connection and matched locally by subject; `forget()` when one turned out to have changed. */
export class StreamLookup {
  private readonly streams = new Map<string, StreamFacts>();

  constructor(private readonly jsm: JetStreamManager) {}

  async facts(subject: string): Promise<StreamFacts> {
    for (const f of this.streams.values()) if (f.subjects.some((s) => subjectMatches(s, subject))) return f;
    try {
      const name = await this.jsm.streams.find(subject);
      const { config } = await this.jsm.streams.info(name);
      const facts = { name, subjects: config.subjects ?? [], allowAtomic: config.allow_atomic === true, allowBatched: config.allow_batched === true };
      this.streams.set(name, facts);
      return facts;
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) throw new NoStreamForSubjectError(subject);
      throw toPublishError(err, subject, {});
    }
  }

  forget(stream: string): void {
    this.streams.delete(stream);
  }
}
