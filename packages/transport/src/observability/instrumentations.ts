import type { ConsumeObserver, InstrumentationTarget, JetStreamInstrumentation, PublishObserver } from './instrumentation.interface.js';
import { combineConsumeObservers, combinePublishObservers } from './combine-observers.js';

/** The `metrics` and `tracing` of one server or client: their hooks, combined once, and their attach/detach. */
export class Instrumentations {
  readonly consume?: ConsumeObserver;
  readonly publish?: PublishObserver;
  private readonly list: JetStreamInstrumentation[];
  private attached?: InstrumentationTarget;

  constructor(options: { metrics?: JetStreamInstrumentation; tracing?: JetStreamInstrumentation }) {
    this.list = [options.metrics, options.tracing].filter((i): i is JetStreamInstrumentation => i !== undefined);
    this.consume = combineConsumeObservers(this.list);
    this.publish = combinePublishObservers(this.list);
  }

  async attach(target: InstrumentationTarget): Promise<void> {
    this.attached = target;
    for (const i of this.list) await i.attach?.(target);
  }

  async detach(): Promise<void> {
    const target = this.attached;
    this.attached = undefined;
    if (!target) return;
    for (const i of this.list) await i.detach?.(target);
  }
}
