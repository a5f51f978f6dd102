import type { LoggerService } from '@nestjs/common';
import { createRedactor } from './redact.js';
import { RedactedLine, RedactingLogger } from './redacting-logger.js';

class Recorder implements LoggerService {
  readonly lines: [string, unknown[]][] = [];
  log = (...a: unknown[]) => this.lines.push(['log', a]);
  error = (...a: unknown[]) => this.lines.push(['error', a]);
  warn = (...a: unknown[]) => this.lines.push(['warn', a]);
}

describe('RedactingLogger', () => {
  it('redacts every string argument and every error (causes included) at every level, keeping the rest', () => {
    const inner = new Recorder();
    const logger = new RedactingLogger(inner, createRedactor({ pass: 'canaryPw123' }));
    const cause = new Error('echo nats://u:canaryPw123@h:4222');
    logger.error('failed with canaryPw123', new Error('outer', { cause }), 'Ctx');
    logger.warn({ n: 1 });
    logger.debug('debug canaryPw123');
    expect(inner.lines[0]).toEqual(['error', ['failed with ***', expect.any(Error), 'Ctx']]);
    expect(cause.message).toBe('echo nats://***@h:4222');
    expect(inner.lines[1]).toEqual(['warn', [{ n: 1 }]]);
    // A level the inner logger lacks falls back to log().
    expect(inner.lines[2]).toEqual(['log', ['debug ***']]);
  });
});

describe('RedactedLine', () => {
  it('is written as it is (redacted once, where it was made), while a plain string beside it is still redacted', () => {
    const inner = new Recorder();
    let passes = 0;
    const redact = createRedactor({ pass: 'canaryPw123' });
    const counting = (text: string): string => {
      passes++;
      return redact(text);
    };
    const logger = new RedactingLogger(inner, counting);
    const line = new RedactedLine(`Terminated message 1: ${counting('echo canaryPw123')}`);
    logger.error(line, 'stack with canaryPw123');
    expect(inner.lines[0]).toEqual(['error', ['Terminated message 1: echo ***', 'stack with ***']]);
    // One pass for the reason where it was made, one for the plain string: none for the line again.
    expect(passes).toBe(2);
  });
});
