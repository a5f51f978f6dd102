import { InvalidHeaderError } from '../errors/input.errors.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { checkHeader, headerNameProblem, headerValueProblem, withoutControlCharacters } from './headers.js';

describe('header validation', () => {
  it.each(['X-Tenant', 'traceparent', 'Nats-Msg-Id', 'a', '!#$%&*+-.^_`|~'])('accepts the name %j', (name) => {
    expect(headerNameProblem(name)).toBeUndefined();
  });

  it.each(['', 'bad name', 'a:b', 'a\r\nInjected', 'tab\there', 'nul\x00', 'del\x7f', 'ünicode', 'esc\x1b[31m'])('refuses the name %j', (name) => {
    expect(headerNameProblem(name)).toMatch(/empty|printable ASCII/);
  });

  it.each(['', 'plain', 'with spaces and a\ttab', 'ünicode ✓', ':colons: fine'])('accepts the value %j', (value) => {
    expect(headerValueProblem(value)).toBeUndefined();
  });

  it.each([
    ['a\r\nX-Injected: 1', /a CR at position 1/],
    ['a\nb', /an LF at position 1/],
    ['nul\x00', /U\+0000 at position 3/],
    ['\x1b[31mred', /U\+001B at position 0/],
    ['del\x7f', /U\+007F/],
    ['bell\x07', /U\+0007/],
  ])('refuses the value %j', (value, why) => {
    expect(headerValueProblem(value)).toMatch(why);
  });

  it('throws InvalidHeaderError naming the header and the subject, with both escaped', () => {
    const err = (() => {
      try {
        checkHeader('X-Note', 'ok\r\nX-Admin: true', 'orders.created');
      } catch (e) {
        return e;
      }
    })() as InvalidHeaderError;
    expect(err).toBeInstanceOf(InvalidHeaderError);
    expect(err).toBeInstanceOf(JetStreamConfigError);
    expect(err.header).toBe('X-Note');
    expect(err.subject).toBe('orders.created');
    expect(err.message).toMatch(/^Header "X-Note" for "orders\.created" is invalid: the value has a CR at position 2\. .*Nothing was sent\.$/);
    expect(() => checkHeader('bad\r\nname', 'v', 's.t')).toThrow(/Header "bad\\r\\nname"/);
    expect(() => checkHeader('X-Ok', 'fine', 's.t')).not.toThrow();
  });

  it('replaces control characters (not tabs) for what is copied from the wire', () => {
    expect(withoutControlCharacters('a\x00b\x1bc\td')).toEqual({ text: 'a\uFFFDb\uFFFDc\td', replaced: true });
    expect(withoutControlCharacters('clean')).toEqual({ text: 'clean', replaced: false });
  });
});
