import type { ConsumerInfo } from '@nats-io/jetstream';
import { foreignConsumerProblems, workQueueProblems, type WorkQueueHandler } from './workqueue-rules.js';

const handler = (subject: string, extra: Partial<WorkQueueHandler> = {}): WorkQueueHandler => ({
  subject,
  stream: 'TASKS',
  durable: `svc__${subject.replace(/\./g, '_')}`,
  mode: 'shared',
  deliverPolicy: 'all',
  ...extra,
});
const onTasks = (stream: string) => stream === 'TASKS';

describe('workQueueProblems', () => {
  it('accepts shared durables that start at the first message and do not overlap', () => {
    expect(workQueueProblems([handler('tasks.a'), handler('tasks.b', { mode: 'push' })], onTasks)).toEqual([]);
  });

  it('refuses every mode with a consumer per instance, naming the handler and the mode', () => {
    const problems = workQueueProblems([handler('tasks.a', { mode: 'broadcast' }), handler('tasks.b', { mode: 'ordered' })], onTasks);
    expect(problems).toEqual([
      expect.stringMatching(/^handler "tasks\.a" \(stream TASKS, a workqueue stream\): mode 'broadcast' needs a consumer per instance.*Use mode 'shared'/),
      expect.stringMatching(/^handler "tasks\.b" \(stream TASKS, a workqueue stream\): mode 'ordered' needs a consumer per instance/),
    ]);
  });

  it('refuses a start other than the first message, and overlapping handlers', () => {
    const problems = workQueueProblems([handler('tasks.*', { deliverPolicy: 'new' }), handler('tasks.a')], onTasks);
    expect(problems).toEqual([
      expect.stringContaining("deliverPolicy 'new' is refused on a workqueue stream"),
      expect.stringContaining('handlers "tasks.*" and "tasks.a" overlap on workqueue stream TASKS'),
    ]);
  });

  it('leaves handlers on other streams alone', () => {
    expect(workQueueProblems([handler('logs.a', { stream: 'LOGS', mode: 'broadcast', deliverPolicy: 'new' })], onTasks)).toEqual([]);
  });
});

describe('foreignConsumerProblems', () => {
  const consumer = (name: string, filter?: string) => ({ name, config: { filter_subject: filter } }) as unknown as ConsumerInfo;

  it('names an overlapping consumer of another service, and skips the handler own durable', () => {
    const b = handler('tasks.a');
    const problems = foreignConsumerProblems(b, [consumer(b.durable, 'tasks.a'), consumer('other', 'tasks.>'), consumer('apart', 'jobs.>')], 'svc');
    expect(problems).toEqual([
      expect.stringMatching(/^handler "tasks\.a" overlaps consumer TASKS\/other \(filter "tasks\.>"\).*nats consumer rm TASKS other\), or make/),
    ]);
  });

  it('suggests pruneConsumers for a left-behind durable of this service', () => {
    expect(foreignConsumerProblems(handler('tasks.a'), [consumer('svc__old')], 'svc')).toEqual([expect.stringContaining('or set pruneConsumers: true')]);
  });
});
