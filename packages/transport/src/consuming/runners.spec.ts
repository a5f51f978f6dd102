import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { DELIVERY_MODES, MODES, type RunnerKind } from '../delivery/modes.js';
import { fakeBinding, FakeRunnerHost } from '../__fixtures__/fake-runner-host.js';
import { ConsumerRunner } from './consumer-runner.js';
import { OrderedRunner } from './ordered/ordered-runner.js';
import { createRunner, removeInstanceConsumers } from './runners.js';

// Nothing is started: making a runner reads neither the client nor the manager.
const js = {} as JetStreamClient;
const CLASSES: Record<RunnerKind, new (...args: never[]) => unknown> = { consumer: ConsumerRunner, ordered: OrderedRunner };

describe('createRunner', () => {
  it.each(DELIVERY_MODES)("makes the runner the table names for mode '%s'", (mode) => {
    const runner = createRunner(fakeBinding({ mode }), new FakeRunnerHost(), js, {} as JetStreamManager);
    expect(runner).toBeInstanceOf(CLASSES[MODES[mode].runner]);
    expect(runner.binding.mode).toBe(mode);
  });
});

describe('removeInstanceConsumers', () => {
  it('deletes the consumers of the modes removed at stop, and only those', async () => {
    const deleted: string[] = [];
    const jsm = {
      consumers: { delete: (stream: string, name: string) => Promise.resolve(void deleted.push(`${stream}/${name}`)) },
    } as unknown as JetStreamManager;
    const runners = DELIVERY_MODES.map((mode) => createRunner(fakeBinding({ mode, durable: `d_${mode}` }), new FakeRunnerHost(), js, jsm));
    await removeInstanceConsumers(jsm, runners);
    expect(deleted).toEqual(DELIVERY_MODES.filter((m) => MODES[m].removedAtStop).map((m) => `ORDERS/d_${m}`));
    expect(deleted).toEqual(['ORDERS/d_broadcast']);
  });
});
