import { Controller, Module, type Type } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import type { StreamDeclaration } from '../interfaces/jetstream-options.interface.js';
import type { JetStreamEventOptions } from '../interfaces/jetstream-event-options.interface.js';

const calls = new Map<number, number>();

@Controller()
class TasksController {
  @JetStreamEvent('tasks.run', { concurrency: 20, maxAckPending: 1000 })
  run(@Payload() data: { n: number }) {
    calls.set(data.n, (calls.get(data.n) ?? 0) + 1);
  }
}

@Module({ controllers: [TasksController] })
class TasksModule {}

/** A module with one handler, for the boot checks. */
function moduleWith(handlers: [string, JetStreamEventOptions][]): Type<unknown> {
  class Ctl {}
  handlers.forEach(([subject, options], i) => {
    const name = `h${i}`;
    Object.defineProperty(Ctl.prototype, name, { value: () => undefined, writable: true });
    JetStreamEvent(subject, options)(Ctl.prototype, name, Object.getOwnPropertyDescriptor(Ctl.prototype, name)!);
  });
  Controller()(Ctl);
  class M {}
  Module({ controllers: [Ctl] })(M);
  return M;
}

describe('work-queue streams (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('TASKS');
  const declared: StreamDeclaration[] = [{ name: stream, subjects: ['tasks.>'], retention: 'workqueue' }];

  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('three instances compete for 10,000 messages: each handled, the stream left empty', async () => {
    for (let i = 0; i < 3; i++) await h.app(TasksModule, { serviceName: 'wq-spec', streams: declared });
    const N = 10_000;
    for (let i = 0; i < N; i += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, j) => h.js.publish('tasks.run', JSON.stringify({ n: i + j + 1 }))));
    }
    await waitFor('every task handled and removed from the stream', async () => calls.size === N && (await h.jsm.streams.info(stream)).state.messages === 0, {
      timeout: 120_000,
    });
    // Each exactly once: nothing crashed, so nothing was redelivered.
    expect([...calls.values()].every((c) => c === 1)).toBe(true);
    await h.closeApps();
  });

  const boot = (handlers: [string, JetStreamEventOptions][], streams = declared) => h.app(moduleWith(handlers), { serviceName: 'wq-rules', streams });

  it('refuses a broadcast or ordered handler, and a deliverPolicy other than all', async () => {
    await expect(boot([['tasks.a', { mode: 'broadcast' }]])).rejects.toThrow(/mode 'broadcast' needs a consumer per instance.*Use mode 'shared'/);
    await expect(boot([['tasks.b', { mode: 'ordered' }]])).rejects.toThrow(/mode 'ordered'/);
    await expect(boot([['tasks.c', { deliverPolicy: 'new' }]])).rejects.toThrow(/deliverPolicy 'new' is refused on a workqueue stream/);
  });

  it('refuses handlers whose subjects overlap, and names a consumer already there', async () => {
    await expect(
      boot([
        ['tasks.*', {}],
        ['tasks.x', {}],
      ]),
    ).rejects.toThrow(/handlers "tasks.\*" and "tasks.x" overlap on workqueue stream/);
    await h.jsm.consumers.add(stream, { durable_name: 'legacy', ack_policy: 'explicit' as never, filter_subject: 'tasks.y' });
    await expect(boot([['tasks.>', {}]])).rejects.toThrow(
      new RegExp(`overlaps consumer ${stream}/legacy \\(filter "tasks.y"\\).*nats consumer rm ${stream} legacy`),
    );
    await h.jsm.consumers.delete(stream, 'legacy');
  });
});
