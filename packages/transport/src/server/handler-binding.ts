import type { MessageHandler } from '@nestjs/microservices';
import type { DeliverPolicyName } from '../interfaces/jetstream-options.interface.js';

/** One `@JetStreamEvent` handler resolved against the options (`JetStreamServer.bindings`): everything in ms, every default applied. */
export interface HandlerBinding {
  subject: string;
  stream: string;
  durable: string;
  ackWaitMs: number;
  maxDeliver: number;
  backoffMs: number[];
  maxAckPending: number;
  concurrency: number;
  deliverPolicy: DeliverPolicyName;
  optStartSeq?: number;
  optStartTime?: Date;
  manualAck: boolean;
  /** After this the library stops `working()` and counts the attempt as failed. */
  handlerTimeoutMs: number;
  /** Dead-letter subject template (`{subject}`, `{stream}`, `{durable}`), or undefined for none. */
  deadLetter?: string;
  handler: MessageHandler;
}
