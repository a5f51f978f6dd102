import type { JetStreamEventMode } from '../interfaces/jetstream-event-options.interface.js';
import type { DeliverPolicyName } from '../interfaces/jetstream-options.interface.js';

/** A handler's delivery mode: the `mode` of `@JetStreamEvent`. */
export type DeliveryMode = JetStreamEventMode;

/** Which runner reads a mode's messages (`consuming/runners.ts` maps each to its class). */
export type RunnerKind = 'consumer' | 'ordered';

/** A handler option a mode cannot use, and why (the boot error says it). */
export type RefusableOption = 'ackWait' | 'maxAckPending' | 'handlerTimeout';

/** What the NATS user of a service needs on the server for one handler of this mode (`permissions/`). */
export type ModePermissions =
  /** Info, pull and acks on one durable of a known name. */
  | 'durable-pull'
  /** Info and acks on one durable, and a subscription to the subject the server pushes to. */
  | 'durable-push'
  /** Create, read, pull from and delete consumers of any name on the stream (their names end with the instance). */
  | 'instance-consumers';

/** The facts of one delivery mode: what every caller asks instead of comparing the mode's name. */
export interface ModeFacts {
  /** One consumer per instance (every instance gets every message), or one durable the service's instances share. */
  readonly perInstance: boolean;
  /** How messages reach the runner: pulled from a consumer, pushed by the server to a queue group, or read in stream order by the client's ordered consumer. */
  readonly delivery: 'pull' | 'queue-group' | 'in-order';
  /** Who makes the consumer on the server: the provisioner at boot, or the client (one after another, on every gap). */
  readonly consumerMadeBy: 'provisioner' | 'client';
  /** The consumer is deleted at a clean stop (after a crash its inactive threshold removes it). */
  readonly removedAtStop: boolean;
  /** Messages are acked, nakked or termed; without acks, the handler returning is the settle. */
  readonly acks: boolean;
  /** Concurrency the mode runs at whatever the options say, and the error when another is given. */
  readonly fixedConcurrency?: { readonly value: number; readonly error: string };
  /** Handler options the mode cannot use, each with the end of the boot error (after "mode '<mode>' "). */
  readonly refusedOptions: Readonly<Partial<Record<RefusableOption, string>>>;
  /** Why `manualAck` cannot be used with this mode, when it cannot. */
  readonly manualAckRefused?: string;
  /** Start policies the mode cannot start at, and the end of the boot error (after "mode '<mode>' "). */
  readonly refusedStarts?: { readonly policies: readonly DeliverPolicyName[]; readonly error: (policy: DeliverPolicyName) => string };
  /** Why `idempotent` cannot be used with this mode, when it cannot. */
  readonly idempotencyRefused?: string;
  /** Why the mode cannot have a priority group (`singleton`, `overflow`), when it cannot (after "mode '<mode>' "). */
  readonly priorityGroupsRefused?: string;
  /** Why the mode cannot run a batch handler (`batch`), when it cannot (after "mode '<mode>' "). */
  readonly batchRefused?: string;
  /** Why the mode's consumer cannot be paused (`JetStreamConsumers.pause`), when it cannot. */
  readonly pauseRefused?: string;
  /** What the NATS user needs for the mode's consumer (`permissions/compute-permissions.ts`). */
  readonly permissions: ModePermissions;
  /** The dead-letter safety net watches the consumer's max-deliveries advisories (a shared durable's name is stable). */
  readonly advisoryWatched: boolean;
  /**
   * A pull left at the consumer's old leader is sent again after its election (`consuming/leader-watch.ts`), so the
   * service subscribes to the consumer's LEADER_ELECTED advisories: pulled consumers only (the client recreates an
   * ordered one itself; the server pushes to a queue group, which has no pull to lose).
   */
  readonly repullsOnElection: boolean;
  /** The runner that reads the messages. */
  readonly runner: RunnerKind;
  /** How the boot log names the handler's consumer. */
  readonly describe: (durable: string) => string;
}

const ORDERED_NO_ACKS = 'has no acks';

/**
 * One row per delivery mode (docs/delivery-modes.md). A new mode is a row here (the compiler asks
 * for it: the table covers every `JetStreamEventMode`), plus a runner when none of the existing
 * ones fits (`RunnerKind`).
 */
export const MODES = {
  shared: {
    perInstance: false,
    delivery: 'pull',
    consumerMadeBy: 'provisioner',
    removedAtStop: false,
    acks: true,
    refusedOptions: {},
    permissions: 'durable-pull',
    advisoryWatched: true,
    repullsOnElection: true,
    runner: 'consumer',
    describe: (durable) => `durable ${durable}`,
  },
  broadcast: {
    perInstance: true,
    delivery: 'pull',
    consumerMadeBy: 'provisioner',
    removedAtStop: true,
    acks: true,
    refusedOptions: {},
    idempotencyRefused:
      "every instance gets every message with the same key, so the first to handle it would make the others skip it. Keep per-instance state idempotent in the handler, or use mode 'shared'.",
    priorityGroupsRefused: 'gives every instance every message: there is nothing to share out.',
    pauseRefused: "has a consumer per instance, deleted when the instance stops: a pause would not outlive it. Use mode 'shared' for a handler you pause.",
    permissions: 'instance-consumers',
    advisoryWatched: false,
    repullsOnElection: true,
    runner: 'consumer',
    describe: (durable) => `broadcast consumer ${durable}`,
  },
  ordered: {
    perInstance: true,
    delivery: 'in-order',
    consumerMadeBy: 'client',
    removedAtStop: false,
    acks: false,
    fixedConcurrency: { value: 1, error: 'runs one message at a time, in stream order' },
    refusedOptions: {
      ackWait: `${ORDERED_NO_ACKS} (the server never waits for a settle nor redelivers)`,
      maxAckPending: `${ORDERED_NO_ACKS} (nothing is ever pending an ack)`,
      handlerTimeout: 'runs one message at a time and waits for its handler, however long (no ackWait to keep alive)',
    },
    manualAckRefused: `${ORDERED_NO_ACKS} (the handler returning is the settle)`,
    refusedStarts: {
      policies: ['last', 'last_per_subject'],
      error: (policy) =>
        `starts at 'all', 'new', a sequence or a time; deliverPolicy '${policy}' is not supported (the client would restart it from the first message after a gap). Use 'new' with a checkpoint, or mode 'shared'.`,
    },
    priorityGroupsRefused: "reads through the client's ordered consumer, which takes no priority group.",
    pauseRefused: "reads through the client's ordered consumer, made again on every gap: there is no durable to pause.",
    batchRefused: 'runs one message at a time, in stream order, and has no acks to settle a batch with.',
    permissions: 'instance-consumers',
    advisoryWatched: false,
    repullsOnElection: false,
    runner: 'ordered',
    describe: (durable) => `ordered consumer ${durable}`,
  },
  push: {
    perInstance: false,
    delivery: 'queue-group',
    consumerMadeBy: 'provisioner',
    removedAtStop: false,
    acks: true,
    refusedOptions: {},
    priorityGroupsRefused: 'is a push consumer: the server pushes to the queue group, and priority groups work on pulls.',
    batchRefused: 'is a push consumer: the server pushes as fast as it likes, and a batch holds at most its size, which only pulls can keep to.',
    permissions: 'durable-push',
    advisoryWatched: true,
    repullsOnElection: false,
    runner: 'consumer',
    describe: (durable) => `push consumer ${durable} (queue group)`,
  },
} as const satisfies Record<DeliveryMode, ModeFacts>;

/** The mode of a handler that sets none. */
export const DEFAULT_MODE: DeliveryMode = 'shared';

/** Every mode, in the table's order (the values `mode` accepts). */
export const DELIVERY_MODES = Object.keys(MODES) as DeliveryMode[];

/** The facts of a handler's mode (`mode` unset: the default mode). */
export function modeOf(handler: { readonly mode?: DeliveryMode }): ModeFacts {
  return MODES[handler.mode ?? DEFAULT_MODE];
}

/** The modes whose facts pass `test`, quoted and joined for a message: `'broadcast' and 'ordered'`. */
export function modesWhere(test: (facts: ModeFacts) => boolean): string {
  const names = DELIVERY_MODES.filter((m) => test(MODES[m])).map((m) => `'${m}'`);
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** Where the server pushes a push-delivery handler's messages: a core subject no stream should capture. */
export function pushDeliverSubject(b: { readonly stream: string; readonly durable: string }): string {
  return `_PUSH.${b.stream}.${b.durable}`;
}
