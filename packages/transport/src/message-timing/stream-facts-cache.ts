import { subjectMatches } from '../utils/subjects.js';
import type { StreamTimingFacts } from './timing-options.js';

/** Streams kept: far more than one account holds in practice. */
const STREAMS_KEPT = 1_000;
/** Subjects remembered with their stream; past this the memo starts over (a local match refills it, no round trip). */
const SUBJECTS_KEPT = 10_000;

/** Whether stream `facts` captures `subject` (one of its subject filters matches it). */
export function captures(facts: StreamTimingFacts, subject: string): boolean {
  return facts.subjects.some((filter) => subjectMatches(filter, subject));
}

/**
 * The timing settings of the streams a publisher has read, keyed by stream and matched against a
 * subject locally with the stream's subjects, so a new subject on a known stream costs no round trip.
 * Pure: reading a stream is the caller's job (`MessageTiming`).
 *
 * Invalidation: a stream's subjects or settings can change on the server at any time. An entry is
 * dropped (and read again by the caller) when the server refuses a timed publish, when a cached entry
 * would make the library refuse one, and when a stream read for a subject supersedes entries that
 * also matched it (the subject moved between streams).
 */
export class StreamFactsCache {
  private readonly streams = new Map<string, StreamTimingFacts>();
  /** Subject → the facts it matched last: skips the match on repeated subjects. */
  private readonly bySubject = new Map<string, StreamTimingFacts>();

  /** The cached stream that captures `subject`, or undefined when none does (the caller reads it then). */
  find(subject: string): StreamTimingFacts | undefined {
    const memo = this.bySubject.get(subject);
    if (memo && this.streams.get(memo.name) === memo) return memo;
    for (const facts of this.streams.values()) {
      if (captures(facts, subject)) {
        this.memo(subject, facts);
        return facts;
      }
    }
    return undefined;
  }

  /** Keeps `facts`, read for `subject`: any other cached stream that matched it is stale (the subject moved) and goes. */
  remember(subject: string, facts: StreamTimingFacts): void {
    for (const other of [...this.streams.values()]) {
      if (other.name !== facts.name && captures(other, subject)) this.streams.delete(other.name);
    }
    this.streams.delete(facts.name);
    if (this.streams.size >= STREAMS_KEPT) this.streams.delete(this.streams.keys().next().value as string);
    this.streams.set(facts.name, facts);
    this.memo(subject, facts);
  }

  /** Drops stream `name`: it is read again on its next timed publish. */
  forget(name: string): void {
    this.streams.delete(name);
  }

  /** How many streams are cached (for tests and the bench). */
  get size(): number {
    return this.streams.size;
  }

  private memo(subject: string, facts: StreamTimingFacts): void {
    if (this.bySubject.size >= SUBJECTS_KEPT) this.bySubject.clear();
    this.bySubject.set(subject, facts);
  }
}
