import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { checkOptionObject, nearestName, ratio, wholeNumber, type OptionTable } from './option-checks.js';

describe('option checks', () => {
  it('names the nearest valid option: another case, or the fewest edits (at most two)', () => {
    const names = ['maxDeliver', 'maxAckPending', 'ackWait', 'prefetch'];
    expect(nearestName('maxDelivery', names)).toBe('maxDeliver');
    expect(nearestName('ACKWAIT', names)).toBe('ackWait');
    expect(nearestName('maxAckPendin', names)).toBe('maxAckPending');
    expect(nearestName('concurrency', names)).toBeUndefined();
  });

  it('checks a table: an object, no unknown key, each value set; a key set to undefined is left alone', () => {
    const table: OptionTable<{ count?: number; share?: number }> = { count: wholeNumber(0), share: ratio };
    expect(() => checkOptionObject({ count: 2, share: 0.5 }, table, 'Thing')).not.toThrow();
    expect(() => checkOptionObject({ count: undefined }, table, 'Thing')).not.toThrow();
    expect(() => checkOptionObject('x', table, 'Thing', 'sub')).toThrow(/^Thing: sub must be an object; got "x"/);
    expect(() => checkOptionObject({ cont: 1 }, table, 'Thing')).toThrow(
      /^Thing: unknown option "cont" \(did you mean "count"\?\)\. The options are count, share\.$/,
    );
    expect(() => checkOptionObject({ share: 1.2 }, table, 'Thing', 'sub')).toThrow(JetStreamConfigError);
    expect(() => checkOptionObject({ share: 1.2 }, table, 'Thing', 'sub')).toThrow(/^Thing: sub\.share must be a fraction/);
  });
});
