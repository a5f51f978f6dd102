import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { Consumer } from '@nats-io/jetstream';
import type { LoggerService } from '@nestjs/common';
import { DEFAULTS } from '../constants.js';
import { ensureAdvisoryConsumer, provisionAdvisoryStream } from '../provisioning/advisory-stream.js';
import type { ProvisioningMode } from '../interfaces/jetstream-options.interface.js';
import type { HandlerBinding } from '../bindings/handler-binding.js';
import { MessagePuller } from '../consuming/message-puller.js';
import { describeError } from '../settlement/settle-policy.js';
import { toMillis } from '../utils/duration.js';
import type { DeadLetterRouter } from './dead-letter.router.js';
import type { DeadLetterLostEvent } from '../events/settle.events.js';
import { redactSecrets } from '../security/redact.js';
import { RedactingLogger } from '../security/redacting-logger.js';

/** The durable of the safety net's consumer. */
export const ADVISORY_DURABLE = 'dead_letter_advisories';
const MAX_DELIVERIES = '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES';
const MSG_TERMINATED = '$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED';

interface Advisory {
  type?: string;
  stream?: string;
  consumer?: string;
  stream_seq?: number;
  deliveries?: number;
  reason?: string;
}

/** The advisory stream of a service: `<SERVICENAME>_DLQ_ADVISORIES`. */
export function advisoryStreamName(serviceName: string): string {
  return `${serviceName.toUpperCase().replace(/[^A-Z0-9_-]/g, '_')}_DLQ_ADVISORIES`;
}

/** The advisory stream's subjects for these consumers: both advisories of each (the CLI's permissions read them too). */
export function advisorySubjects(consumers: readonly { stream: string; durable: string }[]): string[] {
  return consumers.flatMap((b) => [`${MAX_DELIVERIES}.${b.stream}.${b.durable}`, `${MSG_TERMINATED}.${b.stream}.${b.durable}`]);
}

/**
 * The safety net. Advisories are fire-and-forget core NATS, so a stream captures the
 * MAX_DELIVERIES and MSG_TERMINATED advisories of every dead-lettering consumer; this
 * watcher fetches each original by stream sequence and dead-letters it with the same msgId
 * the in-process path uses, so the two never make two dead letters.
 */
export class AdvisoryWatcher {
  private readonly logger: LoggerService;
  private puller?: MessagePuller;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly stream: string,
    private readonly bindings: HandlerBinding[],
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly router: DeadLetterRouter,
    private readonly onLost: (event: DeadLetterLostEvent) => void,
    /** The server's redactor: what this watcher logs names no credential. */
    redact: (text: string) => string = redactSecrets,
  ) {
    this.logger = RedactingLogger.for('JetStreamDeadLetters', redact);
  }

  /** The stream's subjects: both advisories of every dead-lettering consumer. */
  subjects(): string[] {
    return advisorySubjects(this.bindings);
  }

  /** Provisions the stream and its consumer as `mode` allows, then consumes the advisories one at a time. */
  async start(mode: ProvisioningMode, replicas: number): Promise<void> {
    const state = await provisionAdvisoryStream(this.jsm, this.stream, this.subjects(), mode, replicas);
    if (state.changed) this.logger.log(`Dead-letter advisories of ${this.bindings.length} consumer(s) captured in stream ${this.stream}`);
    if (state.replicas < replicas) {
      this.logger.warn(
        `The dead-letter advisory stream ${this.stream} has ${state.replicas} replica(s), fewer than the ${replicas} of the streams it protects (provisioning '${mode}' does not raise them): losing the server that holds it loses the advisories of messages whose dead letter could not be published. Raise its replicas to ${replicas} (nats stream edit ${this.stream} --replicas ${replicas}), or set deadLetterAdvisories: { replicas: ${state.replicas} } to accept it.`,
      );
    }
    await ensureAdvisoryConsumer(this.jsm, this.stream, ADVISORY_DURABLE, mode);
    // The same puller as the handlers': a consumer deleted while the app runs is put back.
    this.puller = new MessagePuller(
      { key: `${this.stream}/${ADVISORY_DURABLE}`, maxMessages: 10, consumer: (recreate) => this.consumerFor(mode, recreate) },
      this.logger,
      (msg) => {
        this.chain = this.chain.then(() => this.handle(msg));
      },
    );
    await this.puller.start();
  }

  private async consumerFor(mode: ProvisioningMode, recreate: boolean): Promise<Consumer> {
    if (recreate) await ensureAdvisoryConsumer(this.jsm, this.stream, ADVISORY_DURABLE, mode);
    return this.js.consumers.get(this.stream, ADVISORY_DURABLE);
  }

  async close(): Promise<void> {
    await this.puller?.close();
    await this.chain;
  }

  private async handle(msg: JsMsg): Promise<void> {
    let advisory: Advisory;
    try {
      advisory = msg.json<Advisory>();
    } catch {
      msg.term();
      return;
    }
    const binding = this.bindings.find((b) => b.stream === advisory.stream && b.durable === advisory.consumer);
    const seq = advisory.stream_seq;
    if (!binding?.deadLetter || !seq || !advisory.stream || !advisory.consumer) {
      msg.ack();
      return;
    }
    const terminated = msg.subject.startsWith(MSG_TERMINATED);
    // Already dead-lettered: our own term says so (2.10.4+), or this process remembers it, which
    // also covers a late advisory of either kind once the dead-letter stream's dedup window passed.
    if ((terminated && advisory.reason?.startsWith('dead-lettered')) || this.router.wasRecentlyDeadLettered(advisory.stream, seq)) {
      msg.ack();
      return;
    }
    let stored;
    try {
      stored = await this.jsm.streams.getMessage(advisory.stream, { seq });
    } catch (err) {
      stored = null;
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.NoMessageFound)) {
        this.retry(msg, `could not read ${advisory.stream} #${seq}: ${describeError(err)}`);
        return;
      }
    }
    if (!stored) {
      const event: DeadLetterLostEvent = {
        stream: advisory.stream,
        consumer: advisory.consumer,
        streamSequence: seq,
        advisory: terminated ? 'terminated' : 'max_deliveries',
        why: 'the message is no longer in its stream (a work-queue stream deletes a terminated message; limits can age it out)',
      };
      this.logger.error(`Cannot dead-letter ${advisory.stream} #${seq} from its ${event.advisory} advisory: ${event.why}`);
      this.onLost(event);
      msg.ack();
      return;
    }
    const reason = terminated
      ? `terminated${advisory.reason ? `: ${advisory.reason}` : ''} (advisory)`
      : `the server stopped delivering after ${advisory.deliveries ?? '?'} deliveries (MAX_DELIVERIES advisory): the library never settled it`;
    try {
      await this.router.routeStored(
        binding,
        {
          subject: stored.subject,
          stream: advisory.stream,
          sequence: seq,
          deliveries: advisory.deliveries ?? 0,
          data: stored.data,
          headers: () => stored.header,
        },
        reason,
      );
      msg.ack();
    } catch (err) {
      this.retry(msg, describeError(err));
    }
  }

  private retry(msg: JsMsg, why: string): void {
    const delay = toMillis(DEFAULTS.deadLetter.advisoryRetryDelay, 'advisoryRetryDelay');
    this.logger.error(`Dead-letter advisory not processed (${why}); retrying in ${delay} ms`);
    msg.nak(delay);
  }
}
