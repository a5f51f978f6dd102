import { JetStreamConfigError, JetStreamErrorCode } from './jetstream-transport.error.js';
import { InvalidHeaderError, InvalidSubjectError } from './input.errors.js';

describe('input errors', () => {
  it('name the subject escaped and cut, whatever it holds', () => {
    const err = new InvalidSubjectError(`orders.\r\n${'x'.repeat(500)}`, 'token contains white space or a control character', 'publish');
    expect(err).toBeInstanceOf(JetStreamConfigError);
    expect(err.code).toBe(JetStreamErrorCode.Config);
    expect(err.name).toBe('InvalidSubjectError');
    expect(err.subject).toHaveLength(509);
    expect(err.message).toMatch(/^Cannot publish to "orders\.\\r\\nx+…: token contains/);
    expect(err.message).not.toMatch(/[\r\n]/);
    expect(err.message.length).toBeLessThan(300);
    expect(new InvalidSubjectError('a..b', 'it has an empty token', 'handler').message).toMatch(
      /^@JetStreamEvent\("a\.\.b"\): the subject is invalid: it has an empty token\./,
    );
    expect(new InvalidSubjectError('a..b', 'it has an empty token', 'handler', 'Orders.onCreated').message).toMatch(
      /^@JetStreamEvent\("a\.\.b"\) on Orders\.onCreated: the subject is invalid: it has an empty token\./,
    );
  });

  it('name the header and the subject', () => {
    const err = new InvalidHeaderError('X-A', 'orders.created', 'the value has an LF at position 0');
    expect([err.name, err.header, err.subject]).toEqual(['InvalidHeaderError', 'X-A', 'orders.created']);
  });
});
