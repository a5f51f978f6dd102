import { replayedHandler, replayRange } from './replay-range.js';

describe('replayRange', () => {
  it('starts at a sequence or a time, reads the handler subject unless filtered, and keeps the end', () => {
    expect(replayRange('orders.*', { from: 5 })).toEqual({
      start: { deliverPolicy: 'by_start_sequence', optStartSeq: 5 },
      filter: 'orders.*',
      to: undefined,
      fromTime: undefined,
    });
    const from = new Date('2026-01-01T00:00:00Z');
    expect(replayRange('orders.*', { from, to: 9, filter: 'orders.eu' })).toEqual({
      start: { deliverPolicy: 'by_start_time', optStartTime: from },
      filter: 'orders.eu',
      to: 9,
      fromTime: from,
    });
  });

  it('refuses a filter the handler does not take, and a bad from or to, naming the replay', () => {
    expect(() => replayRange('orders.*', { from: 1, filter: 'users.a' })).toThrow(
      `replay("orders.*"): filter "users.a" is not covered by the handler's subject "orders.*"`,
    );
    expect(() => replayRange('orders.*', { from: 1, filter: 'orders..a' })).toThrow(/^replay\("orders\.\*"\): filter "orders\.\.a" is invalid: /);
    expect(() => replayRange('orders.*', { from: 0 })).toThrow('replay("orders.*"): from must be a stream sequence ≥ 1 or a Date; got 0.');
    expect(() => replayRange('orders.*', { from: 1, to: new Date('nope') })).toThrow(/^replay\("orders\.\*"\): to must be a stream sequence ≥ 1 or a Date/);
  });
});

describe('replayedHandler', () => {
  it('finds the handler of the subject, or names the handlers there are', () => {
    const handlers = [{ subject: 'a' }, { subject: 'b' }];
    expect(replayedHandler(handlers, 'b')).toBe(handlers[1]);
    expect(() => replayedHandler(handlers, 'c')).toThrow('JetStreamServer.replay(): no handler is bound to "c"; the handlers are "a", "b".');
    expect(() => replayedHandler([], 'c')).toThrow('the handlers are none.');
  });
});
