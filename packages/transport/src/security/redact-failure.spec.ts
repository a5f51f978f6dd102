import { createRedactor } from './redact.js';
import { redactFailure } from './redact-failure.js';

/** An error whose `stack` counts its reads (reading a real one makes V8 format it). */
function countingStack(err: Error): { reads: number } {
  const stack = `${err.name}: ${err.message}\n    at handler (/app/handler.js:1:2)`;
  const counter = { reads: 0 };
  let value = stack;
  Object.defineProperty(err, 'stack', {
    configurable: true,
    get: () => {
      counter.reads++;
      return value;
    },
    set: (v: string) => (value = v),
  });
  return counter;
}

describe('redactFailure', () => {
  const redact = createRedactor({ servers: 'nats://127.0.0.1:4222', pass: 's3cr3tPassword' });

  it('does not read the stack of a failure that quotes no secret (a retried attempt formats none)', () => {
    const cause = new Error('socket closed');
    const err = new TypeError('cannot charge', { cause });
    const reads = [countingStack(err), countingStack(cause)];
    expect(redactFailure(err, redact)).toBe(err);
    expect(reads.map((r) => r.reads)).toEqual([0, 0]);
    expect(err.message).toBe('cannot charge');
  });

  it("redacts messages and stacks of the whole chain when a message quotes the connection's secret", () => {
    const cause = new Error('login refused for nats://alice:s3cr3tPassword@127.0.0.1:4222');
    const err = new Error('could not publish', { cause });
    redactFailure(err, redact);
    expect(cause.message).toBe('login refused for nats://***@127.0.0.1:4222');
    expect(String(cause.stack)).not.toContain('s3cr3tPassword');
    const verbatim = new Error('password was s3cr3tPassword');
    redactFailure(verbatim, redact);
    expect(verbatim.message).toBe('password was ***');
    expect(String(verbatim.stack)).not.toContain('s3cr3tPassword');
  });

  it('leaves what is not an error as it is', () => {
    expect(redactFailure('nats://a:b@h', redact)).toBe('nats://a:b@h');
    expect(redactFailure(undefined, redact)).toBeUndefined();
  });
});
