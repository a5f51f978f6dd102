import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JetStreamEventMode } from '../interfaces/jetstream-event-options.interface.js';
import { DEFAULT_MODE, DELIVERY_MODES, MODES, modeOf, modesWhere, pushDeliverSubject, type ModeFacts } from './modes.js';

// Type level: the table has a row for every mode of the public option type, and no other.
type Missing = Exclude<JetStreamEventMode, keyof typeof MODES>;
type Extra = Exclude<keyof typeof MODES, JetStreamEventMode>;
const everyModeHasARow: [Missing, Extra] extends [never, never] ? true : false = true;

/** The literals of `JetStreamEventMode` as written in its declaration. */
function declaredModes(): string[] {
  const source = readFileSync(join(__dirname, '../interfaces/jetstream-options.interface.ts'), 'utf8');
  const declaration = /export type JetStreamEventMode\s*=\s*([^;]+);/.exec(source);
  if (!declaration) throw new Error('export type JetStreamEventMode = ...; not found in interfaces/jetstream-options.interface.ts');
  return [...declaration[1].matchAll(/'([^']+)'/g)].map((m) => m[1]);
}

/** The cells of one row of docs/delivery-modes.md's guarantees table, by mode (in the header's order). */
function guaranteesRow(label: string): Record<string, string> {
  const lines = readFileSync(join(__dirname, '../../../../docs/delivery-modes.md'), 'utf8').split('\n');
  const cells = (line: string) =>
    line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
  const header = lines.find((l) => l.startsWith("| | `'shared'`"));
  const row = lines.find((l) => l.startsWith(`| ${label} |`));
  if (!header || !row) throw new Error(`row "${label}" of the guarantees table not found in docs/delivery-modes.md`);
  const modes = cells(header)
    .slice(1)
    .map((c) => /`'([^']+)'`/.exec(c)?.[1]);
  return Object.fromEntries(
    cells(row)
      .slice(1)
      .map((c, i) => [modes[i], c]),
  );
}

/** The facts a caller reads, without the functions (compared as plain data). */
function plain(facts: ModeFacts) {
  const { describe, refusedStarts, ...rest } = facts;
  return { ...rest, refusedStarts: refusedStarts?.policies, describes: describe('D') };
}

describe('delivery modes table', () => {
  it('has a row for every mode of the option type, in its order, and no other', () => {
    expect(everyModeHasARow).toBe(true);
    expect(DELIVERY_MODES).toEqual(declaredModes());
    expect(DELIVERY_MODES).toContain(DEFAULT_MODE);
  });

  it('says what each mode means', () => {
    const facts = Object.fromEntries(DELIVERY_MODES.map((m) => [m, plain(MODES[m])]));
    expect(facts).toEqual({
      shared: {
        perInstance: false,
        delivery: 'pull',
        consumerMadeBy: 'provisioner',
        removedAtStop: false,
        acks: true,
        refusedOptions: {},
        refusedStarts: undefined,
        permissions: 'durable-pull',
        advisoryWatched: true,
        repullsOnElection: true,
        runner: 'consumer',
        describes: 'durable D',
      },
      broadcast: {
        perInstance: true,
        delivery: 'pull',
        consumerMadeBy: 'provisioner',
        removedAtStop: true,
        acks: true,
        refusedOptions: {},
        refusedStarts: undefined,
        idempotencyRefused: expect.stringMatching(/^every instance gets every message with the same key/),
        pauseRefused: expect.stringMatching(/^has a consumer per instance, deleted when the instance stops/),
        priorityGroupsRefused: expect.stringMatching(/^gives every instance every message/),
        permissions: 'instance-consumers',
        advisoryWatched: false,
        repullsOnElection: true,
        runner: 'consumer',
        describes: 'broadcast consumer D',
      },
      ordered: {
        perInstance: true,
        delivery: 'in-order',
        consumerMadeBy: 'client',
        removedAtStop: false,
        acks: false,
        fixedConcurrency: { value: 1, error: 'runs one message at a time, in stream order' },
        refusedOptions: {
          ackWait: expect.stringMatching(/^has no acks/),
          maxAckPending: expect.stringMatching(/^has no acks/),
          handlerTimeout: expect.stringMatching(/^runs one message at a time/),
        },
        manualAckRefused: 'has no acks (the handler returning is the settle)',
        pauseRefused: expect.stringMatching(/^reads through the client's ordered consumer/),
        batchRefused: expect.stringMatching(/^runs one message at a time, in stream order/),
        priorityGroupsRefused: expect.stringMatching(/^reads through the client's ordered consumer/),
        refusedStarts: ['last', 'last_per_subject'],
        permissions: 'instance-consumers',
        advisoryWatched: false,
        repullsOnElection: false,
        runner: 'ordered',
        describes: 'ordered consumer D',
      },
      push: {
        perInstance: false,
        delivery: 'queue-group',
        consumerMadeBy: 'provisioner',
        removedAtStop: false,
        acks: true,
        refusedOptions: {},
        refusedStarts: undefined,
        priorityGroupsRefused: expect.stringMatching(/^is a push consumer/),
        batchRefused: expect.stringMatching(/^is a push consumer: the server pushes as fast as it likes/),
        permissions: 'durable-push',
        advisoryWatched: true,
        repullsOnElection: false,
        runner: 'consumer',
        describes: 'push consumer D (queue group)',
      },
    });
  });

  it('agrees with the guarantees table of docs/delivery-modes.md', () => {
    const whoGets = guaranteesRow('Who gets a message');
    const workQueue = guaranteesRow('Work-queue stream');
    expect(Object.keys(whoGets)).toEqual(DELIVERY_MODES);
    for (const m of DELIVERY_MODES) {
      // A consumer per instance: every instance gets every message, and a workqueue stream refuses it (workqueue-rules.ts).
      expect([m, whoGets[m]]).toEqual([m, MODES[m].perInstance ? 'every instance running' : expect.stringMatching(/^one instance/)]);
      expect([m, workQueue[m]]).toEqual([m, MODES[m].perInstance ? 'no (refused at boot)' : 'yes']);
    }
  });

  it('names the start policy in the error of a refused start', () => {
    expect(MODES.ordered.refusedStarts.error('last')).toMatch(/^starts at 'all', 'new', a sequence or a time; deliverPolicy 'last' is not supported/);
  });

  it('reads the default mode for a handler that sets none', () => {
    expect(modeOf({})).toBe(MODES[DEFAULT_MODE]);
    expect(modeOf({ mode: 'ordered' })).toBe(MODES.ordered);
  });

  it('lists the modes that share a fact, quoted for a message', () => {
    expect(modesWhere((f) => f.perInstance)).toBe("'broadcast' and 'ordered'");
    expect(modesWhere((f) => f.delivery === 'queue-group')).toBe("'push'");
    expect(modesWhere((f) => f.acks)).toBe("'shared', 'broadcast' and 'push'");
    expect(modesWhere(() => false)).toBe('');
  });

  it('pushes to a core subject named after the stream and the durable', () => {
    expect(pushDeliverSubject({ stream: 'ORDERS', durable: 'billing__orders' })).toBe('_PUSH.ORDERS.billing__orders');
  });
});
