import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { millisToNanos, parseDuration, toMillis, toNanos } from './duration.js';

describe('durations', () => {
  it.each([
    [1500, 1500],
    ['250ms', 250],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
  ])('%p is %p ms', (input, ms) => {
    expect(parseDuration(input, 'x')).toBe(ms);
  });

  it('converts to the server nanoseconds in one place', () => {
    expect(millisToNanos(30_000)).toBe(30_000_000_000);
    expect(toNanos('2m', 'x')).toBe(120_000_000_000);
  });

  it('names the option and the accepted forms for bad input', () => {
    expect(() => parseDuration('30 sec', 'consumerDefaults.ackWait')).toThrow(
      /consumerDefaults\.ackWait must be milliseconds or a string like '500ms'.*got "30 sec"/,
    );
    expect(() => toMillis(-1, 'shutdownTimeout')).toThrow(/shutdownTimeout must be a non-negative number/);
    expect(() => toMillis({} as unknown as number, 'publish.timeout')).toThrow(/publish\.timeout must be milliseconds/);
  });

  it("throws the library's config error, not a TypeError", () => {
    for (const bad of ['x', -5, Number.NaN, '']) expect(() => parseDuration(bad, 'nak(delay)')).toThrow(JetStreamConfigError);
  });
});
