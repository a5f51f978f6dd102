import { formatDifferences } from '../errors/provisioning.error.js';
import { CONSUMER_IMMUTABLE, STREAM_IMMUTABLE, diffConfig } from './config-diff.js';

describe('config diff', () => {
  it('compares only declared fields, subjects as a set', () => {
    const d = diffConfig('stream', 'S', { subjects: ['a', 'b'], max_age: 5 }, { subjects: ['b', 'a'], max_age: 5, max_msgs: 9 }, STREAM_IMMUTABLE);
    expect(d).toEqual([]);
  });

  it('marks immutable fields and formats the diff', () => {
    const d = diffConfig('stream', 'S', { retention: 'limits', max_age: 10 }, { retention: 'workqueue', max_age: 5 }, STREAM_IMMUTABLE);
    expect(d.map((x) => [x.field, x.updatable])).toEqual([
      ['retention', false],
      ['max_age', true],
    ]);
    expect(formatDifferences(d)).toBe(
      '  - stream S: retention is "workqueue", the app declares "limits" (cannot be changed in place)\n  - stream S: max_age is 5, the app declares 10',
    );
  });

  it('compares start times as instants', () => {
    const d = diffConfig('consumer', 'S/d', { opt_start_time: '2026-01-01T00:00:00.000Z' }, { opt_start_time: '2026-01-01T00:00:00Z' }, CONSUMER_IMMUTABLE);
    expect(d).toEqual([]);
  });
});
