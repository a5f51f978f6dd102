import { BadRequestException, InternalServerErrorException } from '@nestjs/common';
import { DecodeError, JetStreamTermError } from '../errors/handler.errors.js';
import { decideAfterRun, decideBeforeRun, describeError, isUnrecoverable, nakDelay } from './settle-policy.js';

const policy = { maxDeliver: 3, backoffMs: [1000, 5000] };

describe('settle policy', () => {
  it('acks a success', () => {
    expect(decideAfterRun(undefined, false, 1, policy)).toEqual({ action: 'ack' });
  });

  it('naks with the backoff entry for the attempt, repeating the last', () => {
    expect(decideAfterRun(new Error('x'), true, 1, policy)).toEqual({ action: 'nak', delayMs: 1000 });
    expect(decideAfterRun(new Error('x'), true, 2, policy)).toEqual({ action: 'nak', delayMs: 5000 });
    expect(nakDelay(7, [1000, 5000])).toBe(5000);
    expect(nakDelay(1, [])).toBe(0);
  });

  it('terms when the last attempt fails', () => {
    expect(decideAfterRun(new Error('x'), true, 3, policy)).toMatchObject({
      action: 'term',
      exhausted: true,
      reason: expect.stringMatching(/last attempt \(3\/3\): Error: x/),
    });
  });

  it("makes a term's reason once, with the redactor given (the reason's one pass), and none for a retry", () => {
    const passes: string[] = [];
    const redact = (text: string) => (passes.push(text), text.replace('s3cr3tPassword', '***'));
    expect(decideAfterRun(new Error('x'), true, 1, policy, redact)).toEqual({ action: 'nak', delayMs: 1000 });
    expect(passes).toEqual([]);
    expect(decideAfterRun(new Error('pass s3cr3tPassword'), true, 3, policy, redact)).toMatchObject({ reason: expect.stringMatching(/: Error: pass \*\*\*$/) });
    expect(passes).toHaveLength(1);
  });

  it('terms poison at once', () => {
    expect(decideAfterRun(new JetStreamTermError('bad'), true, 1, policy)).toMatchObject({ action: 'term', exhausted: false });
  });

  it('retries a 400 the handler threw itself (not a pipe), and terms the classes the app declares poison', () => {
    expect(decideAfterRun(new BadRequestException('from a downstream call'), true, 1, policy)).toEqual({ action: 'nak', delayMs: 1000 });
    class InvalidOrder extends Error {}
    expect(decideAfterRun(new InvalidOrder('no lines'), true, 1, { ...policy, poisonErrors: [InvalidOrder] })).toMatchObject({
      action: 'term',
      exhausted: false,
    });
    expect(isUnrecoverable(new Error('plain'), [InvalidOrder])).toBe(false);
  });

  it('catches a delivery past the last attempt before the handler runs', () => {
    expect(decideBeforeRun(3, policy)).toBeUndefined();
    expect(decideBeforeRun(4, policy)).toMatchObject({ action: 'term', exhausted: true, reason: expect.stringMatching(/never settled/) });
  });

  it('classifies errors', () => {
    expect(isUnrecoverable(new DecodeError('s', 1, { cause: new Error('x') }))).toBe(true);
    expect(isUnrecoverable(new InternalServerErrorException())).toBe(false);
    expect(isUnrecoverable({ name: 'JetStreamTermError' })).toBe(true);
    expect(isUnrecoverable('text')).toBe(false);
  });

  it('bounds reasons and folds white space', () => {
    expect(describeError(new Error('a\n  b'))).toBe('Error: a b');
    expect(describeError(new Error('x'.repeat(500)), 20)).toHaveLength(20);
  });

  it('keeps control characters of hostile input out of reasons, and never throws', () => {
    expect(describeError(new SyntaxError('Unexpected token, "\x1b[2J\x00" is not valid JSON'))).toBe(
      'SyntaxError: Unexpected token, "\uFFFD[2J\uFFFD" is not valid JSON',
    );
    expect(describeError(Object.create(null))).toBe('{}');
    expect(describeError(10n)).toBe('10');
    expect(describeError('text')).toBe('text');
  });
});
