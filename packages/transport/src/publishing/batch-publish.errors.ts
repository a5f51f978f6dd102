import { JetStreamErrorCode, JetStreamTransportError } from '../errors/jetstream-transport.error.js';

/** A `publishBatch()` that stored nothing: `code` says why, `batchId` names it (the server's `Nats-Batch-Id`). */
export class BatchPublishError extends JetStreamTransportError {
  constructor(
    code: JetStreamErrorCode,
    message: string,
    /** The batch's id, once it was sent. */
    readonly batchId: string | undefined,
    /** The server's JetStream error code, when the server refused it. */
    readonly apiCode?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'BatchPublishError';
  }
}

/** More messages than one atomic batch may hold (the server's limit, 1000 by default): nothing stored. */
export class BatchTooLargeError extends BatchPublishError {
  constructor(
    readonly count: number,
    readonly max: number,
    batchId?: string,
    apiCode?: number,
  ) {
    super(
      JetStreamErrorCode.BatchTooLarge,
      `An atomic batch of ${count} messages is over the server's limit of ${max}: nothing was stored. Split it into batches of at most ${max} (each then is atomic on its own), or raise the server's jetstream max_batch_size.`,
      batchId,
      apiCode,
    );
    this.name = 'BatchTooLargeError';
  }
}

/** The batch's subjects are not all captured by one stream: an atomic batch goes to one stream. Nothing stored. */
export class BatchMixedStreamsError extends BatchPublishError {
  constructor(
    readonly stream: string,
    readonly subject: string,
    readonly otherStream: string | undefined,
    batchId?: string,
    apiCode?: number,
  ) {
    super(
      JetStreamErrorCode.BatchMixedStreams,
      `An atomic batch goes to one stream, but "${subject}" is ${otherStream ? `captured by stream ${otherStream}` : 'not captured'}, not by ${stream} (where its first message goes): nothing was stored. Publish one batch per stream.`,
      batchId,
      apiCode,
    );
    this.name = 'BatchMixedStreamsError';
  }
}

/** An `expect` of one of the batch's messages was not met (someone published first): nothing stored. */
export class BatchExpectationFailedError extends BatchPublishError {
  constructor(detail: string, batchId: string, apiCode: number, options?: { cause?: unknown }) {
    super(
      JetStreamErrorCode.BatchExpectationFailed,
      `An atomic batch was refused because an expectation of one of its messages was not met (${detail}): nothing was stored. Re-read the state and publish the batch again with the current sequence.`,
      batchId,
      apiCode,
      options,
    );
    this.name = 'BatchExpectationFailedError';
  }
}

/**
 * A message of the batch has a msgId the stream already holds (within its duplicate window), or two
 * messages share one: the server refuses the whole batch, nothing stored. After a publish whose
 * outcome was unknown (a timeout), this says the first attempt was stored: a batch is all or nothing.
 */
export class BatchDuplicateMsgIdError extends BatchPublishError {
  constructor(batchId: string, apiCode: number, options?: { cause?: unknown }) {
    super(
      JetStreamErrorCode.BatchDuplicateMsgId,
      'An atomic batch was refused: one of its msgIds is already in the stream (within its duplicate window) or appears twice in the batch, and the server refuses the whole batch rather than skip it. Nothing was stored by this call; if it retries a batch whose first attempt timed out, that attempt was stored (a batch is all or nothing).',
      batchId,
      apiCode,
      options,
    );
    this.name = 'BatchDuplicateMsgIdError';
  }
}

/** The server (older than 2.12) or the stream (no `allow_atomic`) cannot store an atomic batch: nothing sent. */
export class BatchUnsupportedError extends BatchPublishError {
  constructor(
    message: string,
    readonly stream?: string,
    apiCode?: number,
  ) {
    super(JetStreamErrorCode.BatchUnsupported, message, undefined, apiCode);
    this.name = 'BatchUnsupportedError';
  }
}

/** Any other refusal of the batch by the server (e.g. incomplete: a message was lost on the way): nothing stored. */
export class BatchRejectedError extends BatchPublishError {
  constructor(detail: string, batchId: string, apiCode: number | undefined, options?: { cause?: unknown }) {
    super(JetStreamErrorCode.BatchRejected, `The server refused an atomic batch: ${detail}. Nothing was stored; publish it again.`, batchId, apiCode, options);
    this.name = 'BatchRejectedError';
  }
}
