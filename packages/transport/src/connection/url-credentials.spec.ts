import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { liftUrlCredentials } from './url-credentials.js';

describe('liftUrlCredentials', () => {
  it('moves user:password@ into user and pass, percent-decoded, and strips every URL', () => {
    expect(liftUrlCredentials({ servers: ['nats://alice:p%40ss@h1:4222', 'tls://alice:p%40ss@[::1]:4443'], name: 'svc' })).toEqual({
      servers: ['nats://h1:4222', 'tls://[::1]:4443'],
      name: 'svc',
      user: 'alice',
      pass: 'p@ss',
    });
  });

  it('moves a lone userinfo into token, and keeps a string a string', () => {
    expect(liftUrlCredentials({ servers: 'nats://s3cr3t@h:4222' })).toEqual({ servers: 'nats://h:4222', token: 's3cr3t' });
  });

  it('lets explicit credentials win, still stripping the URL', () => {
    expect(liftUrlCredentials({ servers: 'nats://a:b@h:4222', token: 't' })).toEqual({ servers: 'nats://h:4222', token: 't' });
  });

  it('leaves options without userinfo as they are, and refuses URLs with different credentials', () => {
    const options = { servers: ['nats://h:4222', 'h2:4222'] };
    expect(liftUrlCredentials(options)).toBe(options);
    expect(() => liftUrlCredentials({ servers: ['nats://a:canary1@h1:1', 'nats://a:canary2@h2:1'] })).toThrow(JetStreamConfigError);
    expect(() => liftUrlCredentials({ servers: ['nats://a:canary1@h1:1', 'nats://a:canary2@h2:1'] })).toThrow(/^(?!.*canary).*different credentials/);
  });
});
