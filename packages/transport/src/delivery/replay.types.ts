// The public types of `JetStreamServer.replay()` (kept apart from the runners, which are internal).

/** A message an ordered read could not handle. */
export interface OrderedFailure {
  streamSequence: number;
  subject: string;
  reason: string;
}

/** `JetStreamServer.replay()`: a range of a stream, through a handler. */
export interface ReplayOptions {
  /** First message: a stream sequence, or the first message stored at or after this time. */
  from: number | Date;
  /** Last message: a stream sequence, or the last message stored at or before this time. Default: the end of the stream when the replay reaches it. */
  to?: number | Date;
  /** Only messages on these subjects (a filter the handler's subject covers). Default: the handler's subject. */
  filter?: string;
}

/** What a replay did. */
export interface ReplayResult {
  /** Messages the handler handled. */
  handled: number;
  /** Messages that failed every attempt and had no dead-letter route (with one they are dead-lettered and not listed). */
  failed: OrderedFailure[];
  /** Stream sequence of the last message read, 0 when none was. */
  lastSequence: number;
}
