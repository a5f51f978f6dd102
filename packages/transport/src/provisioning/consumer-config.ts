import { AckPolicy, DeliverPolicy, type ConsumerConfig } from '@nats-io/jetstream';
import type { HandlerBinding } from '../bindings/handler-binding.js';
import { DEFAULTS } from '../constants.js';
import { millisToNanos } from '../utils/duration.js';
import { modeOf, pushDeliverSubject } from '../delivery/modes.js';
import { priorityConsumerFields } from '../priority/priority-binding.js';

const DELIVER: Record<HandlerBinding['deliverPolicy'], DeliverPolicy> = {
  all: DeliverPolicy.All,
  new: DeliverPolicy.New,
  last: DeliverPolicy.Last,
  last_per_subject: DeliverPolicy.LastPerSubject,
  by_start_sequence: DeliverPolicy.StartSequence,
  by_start_time: DeliverPolicy.StartTime,
};

/**
 * What the server's `max_deliver` adds to the handler's `maxDeliver`: `max_deliver` is above the
 * library's attempt count, so a last attempt that never settles is delivered once more and the
 * library settles it for good instead of the server dropping it silently; with a dead-letter
 * route, a few more, for when the dead-letter publish itself keeps failing.
 */
export function maxDeliverOffset(b: Pick<HandlerBinding, 'deadLetter'>): number {
  return b.deadLetter ? DEFAULTS.deadLetter.extraDeliveries : 1;
}

/** The server config of the consumer the provisioner makes for a handler (pull or push, shared or per instance). */
export function toConsumerConfig(b: HandlerBinding): Partial<ConsumerConfig> & { durable_name: string } {
  const cfg: Partial<ConsumerConfig> & { durable_name: string } = {
    durable_name: b.durable,
    ack_policy: AckPolicy.Explicit,
    ack_wait: millisToNanos(b.ackWaitMs),
    max_deliver: b.maxDeliver + maxDeliverOffset(b),
    max_ack_pending: b.maxAckPending,
    deliver_policy: DELIVER[b.deliverPolicy],
    filter_subject: b.subject,
  };
  Object.assign(cfg, priorityConsumerFields(b));
  if (b.deliverPolicy === 'by_start_sequence') cfg.opt_start_seq = b.optStartSeq;
  if (b.deliverPolicy === 'by_start_time') cfg.opt_start_time = b.optStartTime?.toISOString();
  const facts = modeOf(b);
  // A consumer per instance goes when its instance has gone this long (the client's ordered consumers set their own).
  if (facts.perInstance) cfg.inactive_threshold = millisToNanos(b.inactiveThresholdMs);
  if (facts.delivery === 'queue-group') {
    // The instances share the messages as one queue group; the server stops pushing at
    // max_ack_pending unsettled messages, so a slow instance never holds more than that. Flow
    // control and idle heartbeats would go to one member of the group only: the v3 client refuses
    // them with a deliver_group (nats-server 2.9.10 and 2.15.1 accept them), so the puller checks
    // the consumer's presence itself.
    cfg.deliver_subject = pushDeliverSubject(b);
    cfg.deliver_group = b.durable;
  }
  return cfg;
}
