// The instrumentations the observability bench compares, each against "off".
import type { JetStreamInstrumentation } from '@nest-jetstream/transport';

export interface Variant {
  name: string;
  description: string;
  /** Options for a fresh server or client (a new instrumentation each time where it keeps state per app). */
  options(): Partial<Record<'metrics' | 'tracing', JetStreamInstrumentation>>;
  close?(): Promise<void>;
}

/** Hooks that do nothing: what the hook layer itself costs per message. */
const noop: JetStreamInstrumentation = {
  consume: { received: () => undefined, settled: () => undefined },
  publish: { started: () => undefined, finished: () => undefined },
};

export async function instrumentations(): Promise<Variant[]> {
  return [
    { name: 'off', description: 'no metrics, no tracing', options: () => ({}) },
    { name: 'noop hooks', description: 'an instrumentation whose hooks do nothing (the cost of the hook calls alone)', options: () => ({ metrics: noop }) },
  ];
}
