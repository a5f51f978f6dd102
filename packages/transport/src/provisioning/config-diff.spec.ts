import { formatDifferences } from '../errors/provisioning.error.js';
import { CONSUMER_IMMUTABLE, STREAM_IMMUTABLE, diffConfig } from './config-diff.js';
import { inUserTerms, nanosAsDuration } from './user-terms.js';

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

  it("shows values in the app's terms: durations, limits, maxDeliver without the library's extra deliveries", () => {
    expect([0, 1_500_000_000, 30_000_000_000, 3_600_000_000_000, 172_800_000_000_000, 1500].map(nanosAsDuration)).toEqual([
      '0',
      "'1500ms'",
      "'30s'",
      "'1h'",
      "'2d'",
      '1500 ns',
    ]);
    const stream = inUserTerms(diffConfig('stream', 'S', { max_age: 3_600_000_000_000, max_bytes: 1024 }, { max_age: 0, max_bytes: -1 }, STREAM_IMMUTABLE));
    expect(formatDifferences(stream)).toBe(
      "  - stream S: maxAge is unlimited (0) on the server, the app declares '1h' (max_age)\n  - stream S: maxBytes is unlimited (-1) on the server, the app declares 1024 (max_bytes)",
    );
    const consumer = inUserTerms(diffConfig('consumer', 'S/d', { max_deliver: 18 }, { max_deliver: 6 }, CONSUMER_IMMUTABLE), 10);
    expect(formatDifferences(consumer)).toBe(
      "  - consumer S/d: maxDeliver is below 1 (the server's max_deliver 6 is maxDeliver + 10) on the server, the app declares 8 (max_deliver)",
    );
    const plain = inUserTerms(diffConfig('consumer', 'S/d', { max_deliver: 8 }, { max_deliver: 6 }, CONSUMER_IMMUTABLE));
    expect(formatDifferences(plain)).toBe('  - consumer S/d: maxDeliver is 5 on the server, the app declares 7 (max_deliver)');
  });
});
