import { errors } from '@nats-io/nats-core';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { checkTlsOptions, requireTlsWhereAsked, tlsAsked, tlsNotOffered } from './tls-required.js';

describe('TLS where it is asked for', () => {
  it('adds tls options for a tls:// URL (any case, any place in the list), and keeps what the user gave', () => {
    expect(requireTlsWhereAsked({ servers: 'tls://nats:4222' }).tls).toEqual({});
    expect(requireTlsWhereAsked({ servers: ['nats://a:4222', 'TLS://b:4222'] }).tls).toEqual({});
    const own = { ca: 'PEM' };
    expect(requireTlsWhereAsked({ servers: 'tls://nats:4222', tls: own }).tls).toBe(own);
    expect(requireTlsWhereAsked({ servers: 'nats://nats:4222' }).tls).toBeUndefined();
    expect(tlsAsked({ servers: 'nats://nats:4222', tls: {} })).toBe(true);
    expect(tlsAsked({ servers: 'nats://nats:4222', tls: null })).toBe(false);
  });

  it('refuses a tls:// URL with tls: null at construction', () => {
    expect(() => checkTlsOptions({ servers: 'tls://nats:4222', tls: null }, 'JetStreamServer')).toThrow(JetStreamConfigError);
    expect(() => checkTlsOptions({ servers: 'tls://nats:4222', tls: null }, 'JetStreamServer')).toThrow(
      /JetStreamServer: connection.servers has a tls:\/\/ URL, but connection.tls is null/,
    );
    expect(() => checkTlsOptions({ servers: 'nats://nats:4222', tls: null }, 'JetStreamServer')).not.toThrow();
  });

  it("recognises nats.js's refusal of a server without TLS (the message this depends on)", () => {
    expect(tlsNotOffered(new errors.ConnectionError("server does not support 'tls'"))).toBe(true);
    expect(tlsNotOffered(new errors.ConnectionError('connection refused'))).toBe(false);
  });
});
