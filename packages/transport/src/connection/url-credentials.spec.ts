import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { liftUrlCredentials, percentDecoded, splitUserinfo } from './url-credentials.js';

describe('splitUserinfo', () => {
  it.each([
    ['nats://alice:s3cr3tPass@127.0.0.1:4999', { scheme: 'nats://', userinfo: 'alice:s3cr3tPass', address: '127.0.0.1:4999' }],
    ['alice:s3cr3tPass@127.0.0.1:4999', { scheme: '', userinfo: 'alice:s3cr3tPass', address: '127.0.0.1:4999' }],
    ['tok123456@127.0.0.1:4999', { scheme: '', userinfo: 'tok123456', address: '127.0.0.1:4999' }],
    ['alice:p%40ss@[::1]:4222', { scheme: '', userinfo: 'alice:p%40ss', address: '[::1]:4222' }],
    ['TLS://bob:a/b@c@[2001:db8::1]:4443', { scheme: 'TLS://', userinfo: 'bob:a/b@c', address: '[2001:db8::1]:4443' }],
    ['127.0.0.1:4222', { scheme: '', address: '127.0.0.1:4222' }],
    ['[::1]:4222', { scheme: '', address: '[::1]:4222' }],
    ['ws://nats.example:8080/ws', { scheme: 'ws://', address: 'nats.example:8080/ws' }],
  ])('%s', (server, parts) => {
    expect(splitUserinfo(server)).toEqual(parts);
    const { scheme, userinfo, address } = splitUserinfo(server);
    expect(`${scheme}${userinfo === undefined ? '' : `${userinfo}@`}${address}`).toBe(server);
  });

  it('percent-decodes, keeping what is not valid percent-encoding', () => {
    expect(percentDecoded('p%40ss%3Aw0rd')).toBe('p@ss:w0rd');
    expect(percentDecoded('100%')).toBe('100%');
  });
});

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

  it('lifts the credentials of scheme-less servers (user:pass@host:port, token@host:port) and keeps them scheme-less', () => {
    expect(liftUrlCredentials({ servers: ['alice:s3cr3tPass@127.0.0.1:4999', 'alice:s3cr3tPass@[::1]:4999'] })).toEqual({
      servers: ['127.0.0.1:4999', '[::1]:4999'],
      user: 'alice',
      pass: 's3cr3tPass',
    });
    expect(liftUrlCredentials({ servers: 'tok123456@127.0.0.1:4999' })).toEqual({ servers: '127.0.0.1:4999', token: 'tok123456' });
    expect(liftUrlCredentials({ servers: ['nats://a:p%2Fw@h1:1', 'a:p%2Fw@h2:1'] })).toEqual({ servers: ['nats://h1:1', 'h2:1'], user: 'a', pass: 'p/w' });
    expect(() => liftUrlCredentials({ servers: ['nats://a:canary1@h1:1', 'a:canary2@h2:1'] })).toThrow(JetStreamConfigError);
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
