import type { ProvisioningDifference } from '../errors/provisioning.error.js';
import { modesWhere } from '../delivery/modes.js';
import { TOPOLOGY_TERMS } from './topology-diff.js';

/** The modes whose consumer the server pushes to, quoted as the option is written. */
const PUSH_MODES = modesWhere((f) => f.delivery === 'queue-group');

/** How a server config field reads in the app's own options: the option's name and its value the way the app writes it. */
interface FieldTerms {
  option: string;
  show?: (value: number) => string;
  /** For an object value (placement, mirror, sources): how the app declares it. */
  showObject?: (value: unknown) => string;
}

const UNITS: [string, number][] = [
  ['d', 86_400_000_000_000],
  ['h', 3_600_000_000_000],
  ['m', 60_000_000_000],
  ['s', 1_000_000_000],
  ['ms', 1_000_000],
];

/** Nanoseconds as the app writes a duration: `'1h'`, `'30s'`, `'1500ms'`; 0 is `0`. */
export function nanosAsDuration(ns: number): string {
  if (ns === 0) return '0';
  for (const [unit, size] of UNITS) if (ns % size === 0) return `'${ns / size}${unit}'`;
  return `${ns} ns`;
}

const duration = (ns: number) => nanosAsDuration(ns);
const limit = (n: number) => (n === -1 ? 'unlimited (-1)' : String(n));

const STREAM_TERMS: Record<string, FieldTerms> = {
  max_age: { option: 'maxAge', show: (ns) => (ns === 0 ? 'unlimited (0)' : duration(ns)) },
  duplicate_window: { option: 'duplicateWindow', show: duration },
  max_bytes: { option: 'maxBytes', show: limit },
  max_msgs: { option: 'maxMsgs', show: limit },
  max_msg_size: { option: 'maxMsgSize', show: limit },
  max_msgs_per_subject: { option: 'maxMsgsPerSubject', show: limit },
  num_replicas: { option: 'replicas' },
  deny_delete: { option: 'denyDelete' },
  deny_purge: { option: 'denyPurge' },
  allow_rollup_hdrs: { option: 'allowRollup' },
  ...TOPOLOGY_TERMS,
};

/**
 * A consumer's fields in the handler's terms. `maxDeliverOffset` is what the library adds to the
 * handler's `maxDeliver` for the server (one delivery more, or more with a dead-letter route).
 */
function consumerTerms(maxDeliverOffset: number): Record<string, FieldTerms> {
  return {
    ack_wait: { option: 'ackWait', show: duration },
    max_deliver: {
      option: 'maxDeliver',
      show: (n) =>
        n === -1
          ? 'unlimited (-1)'
          : n - maxDeliverOffset >= 1
            ? String(n - maxDeliverOffset)
            : `below 1 (the server's max_deliver ${n} is maxDeliver + ${maxDeliverOffset})`,
    },
    max_ack_pending: { option: 'maxAckPending', show: limit },
    deliver_policy: { option: 'deliverPolicy' },
    filter_subject: { option: 'the handler subject' },
    opt_start_seq: { option: 'optStartSeq' },
    opt_start_time: { option: 'optStartTime' },
    deliver_subject: { option: `mode (a ${PUSH_MODES} consumer has a deliver subject, a pull consumer none)` },
    deliver_group: { option: `mode ${PUSH_MODES}` },
    inactive_threshold: { option: 'inactiveThreshold', show: duration },
  };
}

/** Adds the app's terms to each difference: the option name and both values as the app writes them. */
export function inUserTerms(differences: ProvisioningDifference[], maxDeliverOffset = 1): ProvisioningDifference[] {
  const consumer = consumerTerms(maxDeliverOffset);
  return differences.map((d) => {
    const terms = (d.kind === 'stream' ? STREAM_TERMS : consumer)[d.field];
    if (!terms) return d;
    const show = (v: unknown) =>
      v === undefined ? '(unset)' : terms.show && typeof v === 'number' ? terms.show(v) : terms.showObject ? terms.showObject(v) : JSON.stringify(v);
    return { ...d, option: terms.option, shown: { expected: show(d.expected), actual: show(d.actual) } };
  });
}
