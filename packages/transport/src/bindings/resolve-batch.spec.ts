import { resolveBatch } from './resolve-batch.js';

describe('resolveBatch', () => {
  const at = "@JetStreamEvent('stock.received')";
  const shared = { mode: 'shared' as const, maxAckPending: 100, idempotent: false };

  it('resolves size and maxWait (default 1 s); no batch without the option', () => {
    expect(resolveBatch(at, { batch: { size: 50, maxWait: '250ms' } }, shared)).toEqual({ size: 50, maxWaitMs: 250 });
    expect(resolveBatch(at, { batch: { size: 1 } }, shared)).toEqual({ size: 1, maxWaitMs: 1000 });
    expect(resolveBatch(at, {}, shared)).toBeUndefined();
  });

  it('refuses a size below 1, a fraction, or above maxAckPending, naming the handler and the fix', () => {
    expect(() => resolveBatch(at, { batch: { size: 0 } }, shared)).toThrow(`${at}: batch.size must be a whole number ≥ 1`);
    expect(() => resolveBatch(at, { batch: { size: 2.5 } }, shared)).toThrow('batch.size must be a whole number');
    expect(() => resolveBatch(at, { batch: { size: 101 } }, shared)).toThrow(
      `${at}: batch.size (101) is above maxAckPending (100), so a batch could never fill. Lower batch.size or raise maxAckPending.`,
    );
  });

  it('refuses a maxWait that is not a positive duration', () => {
    expect(() => resolveBatch(at, { batch: { size: 5, maxWait: 0 } }, shared)).toThrow('batch.maxWait must be more than 0');
    expect(() => resolveBatch(at, { batch: { size: 5, maxWait: 'soon' as never } }, shared)).toThrow('batch.maxWait');
  });

  it('takes the modes the mode table lets batch, and refuses the others with its reason', () => {
    expect(resolveBatch(at, { batch: { size: 5 } }, { ...shared, mode: 'broadcast' })).toEqual({ size: 5, maxWaitMs: 1000 });
    expect(() => resolveBatch(at, { batch: { size: 5 } }, { ...shared, mode: 'ordered' })).toThrow(
      `${at}: batch needs mode 'shared' or 'broadcast'; mode 'ordered' runs one message at a time`,
    );
    expect(() => resolveBatch(at, { batch: { size: 5 } }, { ...shared, mode: 'push' })).toThrow("mode 'push' is a push consumer");
  });

  it('refuses idempotent (one key per call) and says what to do instead', () => {
    expect(() => resolveBatch(at, { batch: { size: 5 } }, { ...shared, idempotent: true })).toThrow('Remove idempotent and make the bulk write idempotent');
  });
});
