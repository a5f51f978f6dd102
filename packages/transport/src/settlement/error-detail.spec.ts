import { BadRequestException, HttpException, UnprocessableEntityException } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { DEFAULTS } from '../constants.js';
import { DecodeError, HandlerTimeoutError } from '../errors/handler.errors.js';
import { describeError, errorStack, logFailure, readStackHeader, stackHeaderValue, withStack } from './error-detail.js';

describe('describeError', () => {
  it("keeps a ValidationPipe rejection's field list, not only its generic message", () => {
    // What ValidationPipe throws: a BadRequestException whose response lists the failing fields.
    const err = new BadRequestException(['name must be a string', 'quantity must not be less than 1']);
    expect(describeError(err)).toBe('BadRequestException: Bad Request Exception (status 400): name must be a string; quantity must not be less than 1');
  });

  it("keeps an HttpException's string response and its own message once", () => {
    expect(describeError(new UnprocessableEntityException('sku unknown'))).toBe('UnprocessableEntityException: sku unknown (status 422)');
    expect(describeError(new HttpException({ code: 'E42', field: 'sku' }, 409))).toBe(
      'HttpException: Http Exception (status 409): {"code":"E42","field":"sku"}',
    );
  });

  it("keeps an RpcException's error object", () => {
    expect(describeError(new RpcException({ reason: 'no stock', sku: 'A1' }))).toBe('RpcException: Rpc Exception: {"reason":"no stock","sku":"A1"}');
    expect(describeError(new RpcException('plain'))).toBe('RpcException: plain');
    class OutOfStock extends Error {}
    expect(describeError(new OutOfStock('sku A1'))).toBe('OutOfStock: sku A1');
  });

  it('is one line, bounded by the reason length (room for a field list)', () => {
    expect(DEFAULTS.maxReasonLength).toBe(1024);
    const many = new BadRequestException(Array.from({ length: 200 }, (_, i) => `field${i} must be a string`));
    const text = describeError(many);
    expect(text).toHaveLength(1024);
    expect(text.endsWith('…')).toBe(true);
    expect(describeError(new Error('a\n  b'))).toBe('Error: a b');
    expect(describeError('thrown string')).toBe('thrown string');
  });
});

describe('errorStack', () => {
  it('gives the stack with its frames and causes', () => {
    const root = new Error('socket closed');
    const err = new TypeError('cannot charge', { cause: root });
    const stack = errorStack(err)!;
    expect(stack.split('\n')[0]).toBe('TypeError: cannot charge');
    expect(stack).toMatch(/\n\s+at .*error-detail\.spec\.ts:\d+:\d+/);
    expect(stack).toContain('\nCaused by: Error: socket closed\n');
  });

  it('gives nothing for what has no frame to show, or only the library timer', () => {
    const bare = new Error('no frames');
    bare.stack = 'Error: no frames';
    expect(errorStack(bare)).toBeUndefined();
    expect(errorStack('a string')).toBeUndefined();
    expect(errorStack(new HandlerTimeoutError('a.b', 1, 100))).toBeUndefined();
    // Made by the runner's decode: only library frames, and a flood of them would be pure noise.
    const decode = new DecodeError('a.b', 1, { cause: new SyntaxError('Unexpected token') });
    expect(decode.stack).toMatch(/\n\s+at /);
    expect(errorStack(decode)).toBeUndefined();
    expect(withStack('line', decode)).toBe('line');
    expect(withStack('line', 'a string')).toBe('line');
    expect(withStack('line', new Error('x'))).toMatch(/^line\nError: x\n\s+at /);
  });

  it('logs a final failure with the stack as the second argument, and no undefined argument without one', () => {
    const calls: unknown[][] = [];
    const logger = { error: (...args: unknown[]) => calls.push(args) };
    logFailure(logger, 'failed', new Error('boom'));
    logFailure(logger, 'failed', 'boom');
    expect(calls[0][0]).toBe('failed');
    expect(calls[0][1]).toMatch(/^Error: boom\n\s+at /);
    expect(calls[1]).toEqual(['failed']);
  });
});

describe('the stack header value', () => {
  it('is one line that reads back to the stack', () => {
    const stack = 'TypeError: x\n    at f (C:\\app\\node_modules\\h.js:1:2)\n    at g (/app/h.js:3:4)';
    const value = stackHeaderValue(stack);
    expect(value).not.toMatch(/[\r\n]/);
    expect(readStackHeader(value)).toBe(stack);
  });

  it('is bounded, cut at a line, and says how many lines were left out', () => {
    const stack = ['Error: deep', ...Array.from({ length: 200 }, (_, i) => `    at frame${i} (/app/src/some/long/path/handler.js:${i}:1)`)].join('\n');
    const value = stackHeaderValue(stack);
    expect(value.length).toBeLessThanOrEqual(DEFAULTS.deadLetter.maxStackLength);
    const lines = readStackHeader(value).split('\n');
    expect(lines[0]).toBe('Error: deep');
    expect(lines[lines.length - 1]).toMatch(/^ {4}… \d+ more line\(s\)$/);
    const kept = lines.length - 2;
    expect(lines[lines.length - 1]).toContain(`… ${201 - 1 - kept} more`);
    expect(stackHeaderValue('x'.repeat(5000), 100)).toHaveLength(100);
  });

  it("keeps every cause's first line and first frames when the error's own stack alone would fill it", () => {
    const frames = (name: string) => Array.from({ length: 60 }, (_, i) => `    at ${name}${i} (/app/node_modules/some/deep/library/path/file.js:${i}:1)`);
    const stack = [
      'Error: layer 2 failed',
      ...frames('own'),
      'Caused by: Error: layer 1 failed',
      ...frames('one'),
      'Caused by: Error: refused',
      ...frames('db'),
    ].join('\n');
    const value = stackHeaderValue(stack);
    expect(value.length).toBeLessThanOrEqual(DEFAULTS.deadLetter.maxStackLength);
    const lines = readStackHeader(value).split('\n');
    expect(lines[0]).toBe('Error: layer 2 failed');
    expect(lines[1]).toContain('at own0 ');
    for (const head of ['Caused by: Error: layer 1 failed', 'Caused by: Error: refused']) {
      const at = lines.indexOf(head);
      expect(at).toBeGreaterThan(0);
      expect(lines[at + 1]).toMatch(/^ {4}at \w+0 /);
    }
    // Each part says how many of its lines were left out, and nothing is counted twice.
    const left = lines.filter((l) => /^ {4}… \d+ more line\(s\)$/.test(l)).map((l) => Number(/\d+/.exec(l)![0]));
    expect(left).toHaveLength(3);
    expect(lines.length - left.length + left.reduce((a, n) => a + n, 0)).toBe(stack.split('\n').length);
  });
});
