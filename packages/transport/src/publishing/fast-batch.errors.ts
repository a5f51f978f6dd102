import { JetStreamErrorCode, JetStreamTransportError } from '../errors/jetstream-transport.error.js';

/**
 * A `publishFastBatch()` that did not complete. A fast batch is not atomic: `sent` says how many of
 * its messages were handed to the server before it stopped (0: nothing was sent); those may be
 * stored. Publish again with the same msgIds to complete it without storing a message twice.
 */
export class FastBatchError extends JetStreamTransportError {
  constructor(
    code: JetStreamErrorCode,
    message: string,
    /** The stream the batch went to, once known. */
    readonly stream: string | undefined,
    /** Messages sent before the batch stopped (they may be stored: a fast batch is not atomic). */
    readonly sent: number,
    /** The batch's id, once started. */
    readonly batchId?: string,
    /** The server's JetStream error code, when the server ended the batch. */
    readonly apiCode?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'FastBatchError';
  }
}

/** The server (older than 2.14) or the stream (no `allow_batched`) has no fast ingest: nothing was sent or stored. */
export class FastBatchUnsupportedError extends FastBatchError {
  constructor(message: string, stream?: string, apiCode?: number, options?: { cause?: unknown }) {
    super(JetStreamErrorCode.FastBatchUnsupported, message, stream, 0, undefined, apiCode, options);
    this.name = 'FastBatchUnsupportedError';
  }
}

/** A message's subject is not captured by the batch's stream (a batch goes to one stream); it was not sent. */
export class FastBatchMixedStreamsError extends FastBatchError {
  constructor(
    stream: string,
    readonly subject: string,
    readonly otherStream: string | undefined,
    sent: number,
    batchId?: string,
  ) {
    super(
      JetStreamErrorCode.FastBatchMixedStreams,
      `A fast batch goes to one stream, but "${subject}" is ${otherStream ? `captured by stream ${otherStream}` : 'not captured by any stream'}, not by ${stream} (where its first message went). ${
        sent === 0 ? 'Nothing was sent.' : `The ${sent} messages before it were sent and committed (a fast batch is not atomic); it and the rest were not.`
      } Publish one batch per stream.`,
      stream,
      sent,
      batchId,
    );
    this.name = 'FastBatchMixedStreamsError';
  }
}

/** The server lost messages of a batch started with `allowGaps: false` and aborted it. */
export class FastBatchGapError extends FastBatchError {
  constructor(stream: string, sent: number, batchId: string, apiCode: number | undefined, detail: string, options?: { cause?: unknown }) {
    super(
      JetStreamErrorCode.FastBatchGap,
      `The server aborted fast batch ${batchId} on stream ${stream}: a message did not reach it (${detail}) and the batch was started with allowGaps: false. Messages before the gap are stored. Publish the batch again with the same msgIds (duplicates are skipped), or pass allowGaps: true to go on past gaps and read ack.gaps.`,
      stream,
      sent,
      batchId,
      apiCode,
      options,
    );
    this.name = 'FastBatchGapError';
  }
}

/** Any other end of a fast batch before its commit: a refusal by the server, a timeout, a closed connection. */
export class FastBatchFailedError extends FastBatchError {
  constructor(stream: string, sent: number, batchId: string | undefined, detail: string, apiCode?: number, options?: { cause?: unknown }) {
    super(
      JetStreamErrorCode.FastBatchFailed,
      `Fast batch ${batchId ?? '(not started)'} on stream ${stream} stopped after ${sent} messages were sent: ${detail}. Those may be stored (a fast batch is not atomic); publish the batch again with the same msgIds to complete it without duplicates.`,
      stream,
      sent,
      batchId,
      apiCode,
      options,
    );
    this.name = 'FastBatchFailedError';
  }
}
