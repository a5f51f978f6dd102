import { applyCheckpoints, type CheckpointedHandler } from './checkpoints.js';

const handler = (subject: string): CheckpointedHandler => ({ subject, durable: `svc__${subject}`, mode: 'shared', deliverPolicy: 'all' });

describe('applyCheckpoints', () => {
  it('moves each handler to where the application recorded it, and keeps the others', async () => {
    const [a, b, c] = [handler('a'), handler('b'), handler('c')];
    const at = new Date('2026-01-02T03:04:05Z');
    await applyCheckpoints([a, b, c], (q) => (q.subject === 'a' ? { afterSequence: 41 } : q.subject === 'b' ? { fromTime: at } : undefined));
    expect(a).toMatchObject({ deliverPolicy: 'by_start_sequence', optStartSeq: 42, optStartTime: undefined });
    expect(b).toMatchObject({ deliverPolicy: 'by_start_time', optStartTime: at, optStartSeq: undefined });
    expect(c).toEqual(handler('c'));
  });

  it('asks with the handler subject, durable and mode', async () => {
    const asked: unknown[] = [];
    await applyCheckpoints([{ ...handler('a'), mode: 'ordered' }], (q) => void asked.push(q));
    expect(asked).toEqual([{ subject: 'a', durable: 'svc__a', mode: 'ordered' }]);
  });

  it('refuses a bad answer or a throw, naming the handler', async () => {
    await expect(applyCheckpoints([handler('a')], () => ({ afterSequence: -1 }))).rejects.toThrow(
      /^checkpoints\(\) for handler "a" returned .*return \{ afterSequence: n \}/,
    );
    await expect(
      applyCheckpoints([handler('a')], () => {
        throw new Error('db down');
      }),
    ).rejects.toThrow('checkpoints() for handler "a" threw: db down. The handler cannot know where to start.');
  });
});
