import { createAccount, createOperator, createUser } from '@nats-io/nkeys';
import { REDACTED } from '../constants.js';
import { connectionSecrets, createRedactor, redactErrorChain, redactSecrets } from './redact.js';

describe('redactSecrets', () => {
  it.each([
    ['nats://alice:s3cr3tPass@127.0.0.1:4999', 'nats://***@127.0.0.1:4999'],
    ['cannot connect to NATS at nats://alice:s3cr3tPass@127.0.0.1:4999: refused', 'cannot connect to NATS at nats://***@127.0.0.1:4999: refused'],
    ['nats://t0kenValue@nats.example:4222', 'nats://***@nats.example:4222'],
    ['tls://bob:pw@nats.example:4443', 'tls://***@nats.example:4443'],
    ['ws://bob:pw@nats.example:8080/path', 'ws://***@nats.example:8080/path'],
    ['wss://bob:pw@[::1]:443', 'wss://***@[::1]:443'],
    ['nats://alice:p%40ss%3Aw0rd@[2001:db8::1]:4222', 'nats://***@[2001:db8::1]:4222'],
    ['nats://alice:p@ss@host:4222', 'nats://***@host:4222'],
    ['http://admin:pw@nats:8222/healthz?js-enabled-only=true', 'http://***@nats:8222/healthz?js-enabled-only=true'],
    ['NATS://Alice:Pw@HOST:4222', 'NATS://***@HOST:4222'],
    // Scheme-less, as nats.js takes a server: user:password@host[:port], token@host:port, IPv6, several.
    ['cannot connect to NATS at alice:s3cr3tPass@127.0.0.1:4999: refused', 'cannot connect to NATS at ***@127.0.0.1:4999: refused'],
    ['alice:s3cr3tPass@127.0.0.1:4999', '***@127.0.0.1:4999'],
    ['at tok123456@127.0.0.1:4999.', 'at ***@127.0.0.1:4999.'],
    ['alice:p%40ss@[::1]:4222, alice:p@ss@[2001:db8::1]:4222', '***@[::1]:4222, ***@[2001:db8::1]:4222'],
    // A token may hold `=` (base64): it goes whole, with a name written before it.
    ['servers: a:pw@h1:1,a:pw@h2:1 ["b:pw@nats.example"] (k=t0k==@h:1)', 'servers: ***@h1:1,***@h2:1 ["***@nats.example"] (***@h:1)'],
  ])('%s -> %s', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it('keeps URLs without userinfo, and their host and port, untouched, and e-mail addresses', () => {
    const text =
      'at nats://127.0.0.1:4222, tls://[::1]:4443, ws://nats.example:8080/ws, 127.0.0.1:4222, [::1]:4222 and nats://host (2 servers) alice@example.com, git@github.com:org/repo';
    expect(redactSecrets(text)).toBe(text);
  });

  it('keeps stack frames, package versions and e-mail addresses, which hold an @ but no credential', () => {
    const text = '    at f (file:///app/node_modules/@nestjs/core/x.js:12:3)\ninstalled nest-jetstream@0.1.0 and @nestjs/core@11.0.1 (user@example.org)';
    expect(redactSecrets(text)).toBe(text);
  });

  it('redacts several URLs in one message, comma-separated with or without spaces', () => {
    expect(redactSecrets('nats://a:1@h1:4222,nats://b:2@h2:4222, tls://c:3@h3:4443')).toBe('nats://***@h1:4222,nats://***@h2:4222, tls://***@h3:4443');
  });

  it('redacts nkey seeds of every role but keeps public keys', () => {
    for (const kp of [createUser(), createAccount(), createOperator()]) {
      const seed = new TextDecoder().decode(kp.getSeed());
      const out = redactSecrets(`seed ${seed} of ${kp.getPublicKey()}`);
      expect(out).toBe(`seed ${REDACTED} of ${kp.getPublicKey()}`);
    }
  });

  it('redacts JWTs and whole .creds and PEM private key blocks', () => {
    const jwt = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJqdGkiOiJBQkMifQ.c2lnbmF0dXJl';
    expect(redactSecrets(`bearer ${jwt}.`)).toBe(`bearer ${REDACTED}.`);
    const creds = `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n************************* IMPORTANT *************************\n-----BEGIN USER NKEY SEED-----\nSUAIXOPNC7NFGFYLW2KTYW57I7UI7W2DMJRVYP7CSOR6GM2JJB5UG4VUSY\n------END USER NKEY SEED------\n`;
    const out = redactSecrets(creds);
    expect(out).not.toMatch(/eyJ|SUAI/);
    expect(out).toContain('IMPORTANT');
    expect(redactSecrets('-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----')).toBe(REDACTED);
  });

  it('redacts secret fields of a JSON-ish dump (the CONNECT line) and keeps the others', () => {
    expect(redactSecrets('CONNECT {"user":"alice","pass":"pw1","auth_token":"tk","verbose":false}')).toBe(
      'CONNECT {"user":"alice","pass":***,"auth_token":***,"verbose":false}',
    );
    expect(redactSecrets("{ token: 'abc', name: 'svc' }")).toBe("{ token: ***, name: 'svc' }");
  });

  it('redacts environment-style and prefixed secret names (NATS_TOKEN=, MY_APP_PASSWORD:, authToken:) and keeps other fields', () => {
    expect(redactSecrets('NATS_TOKEN=abcdef NATS_PASS=hunter2 NATS_USER=alice')).toBe('NATS_TOKEN=*** NATS_PASS=*** NATS_USER=alice');
    expect(redactSecrets('MY_APP_PASSWORD: x, nats_nkey_seed=SOMETHING')).toBe('MY_APP_PASSWORD: ***, nats_nkey_seed=***');
    expect(redactSecrets('{"authToken":"t1","dbPassword":"p1","maxTokens":5,"passes":2}')).toBe('{"authToken":***,"dbPassword":***,"maxTokens":5,"passes":2}');
  });

  it('leaves ordinary library messages alone', () => {
    const text =
      'JetStreamServer cannot connect to NATS at nats://127.0.0.1:4999: connection refused. Check the credentials in connection (user/pass, token, authenticator: nkey, .creds/JWT).';
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('createRedactor', () => {
  it('removes the verbatim pass and token, however a message echoes them, and keeps the user name as a word', () => {
    const redact = createRedactor({ user: 'billing', pass: 'canaryPw123', token: 'canaryTok456' });
    expect(redact('consumer billing__orders refused; pass canaryPw123; token=canaryTok456x')).toBe('consumer billing__orders refused; pass ***; token=***');
    expect(redact('canaryTok456 then canaryPw123')).toBe('*** then ***');
    expect(redact.secrets).toEqual(['canaryTok456', 'canaryPw123']);
  });

  it('learns the userinfo of server URLs, raw and percent-decoded, even with characters the pattern stops at', () => {
    const redact = createRedactor({ servers: ['nats://alice:p%2Fss%40w0rd@127.0.0.1:4222', 'nats://h2:4222'] });
    expect(redact('echoed p/ss@w0rd and p%2Fss%40w0rd')).toBe('echoed *** and ***');
    expect(connectionSecrets({ servers: 'nats://bob:a/b@c@host:1' })).toEqual(['bob:a/b@c', 'a/b@c']);
    expect(connectionSecrets({ servers: 'nats://token123@host:1' })).toEqual(['token123']);
  });

  it('learns the userinfo of scheme-less servers too', () => {
    expect(connectionSecrets({ servers: ['alice:s3cr3tPass@127.0.0.1:4999', '127.0.0.1:4222'] })).toEqual(['alice:s3cr3tPass', 's3cr3tPass']);
    expect(connectionSecrets({ servers: 'tok123456@[::1]:4999' })).toEqual(['tok123456']);
    expect(createRedactor({ servers: 'alice:p%2Fss%40w0rd@127.0.0.1:4999' })('echoed p/ss@w0rd')).toBe('echoed ***');
  });

  it('ignores secrets too short to search, and no options at all', () => {
    expect(createRedactor({ user: 'a', pass: 'pw' })('a pw at nats://a:pw@h:1')).toBe('a pw at nats://***@h:1');
    expect(createRedactor()('plain')).toBe('plain');
  });
});

describe('redactErrorChain', () => {
  it('redacts message and stack of an error and its causes in place, keeping their types', () => {
    class NatsLikeError extends Error {}
    const inner = new NatsLikeError('dial nats://u:canaryPw123@h:1 failed');
    const outer = new Error('wrapped canaryPw123', { cause: inner });
    const redact = createRedactor({ pass: 'canaryPw123' });
    expect(redactErrorChain(outer, redact)).toBe(outer);
    expect(outer.message).toBe('wrapped ***');
    expect(outer.stack).not.toContain('canaryPw123');
    expect(inner).toBeInstanceOf(NatsLikeError);
    expect(inner.message).toBe('dial nats://***@h:1 failed');
    expect(inner.stack).not.toContain('canaryPw123');
  });

  it('stops on a cause cycle and on values that are not errors', () => {
    const a = new Error('a canaryPw123') as Error & { cause?: unknown };
    a.cause = a;
    expect(redactErrorChain(a, createRedactor({ pass: 'canaryPw123' })).message).toBe('a ***');
    expect(redactErrorChain('not an error')).toBe('not an error');
    const frozen = Object.freeze(new Error('frozen canaryPw123'));
    expect(() => redactErrorChain(frozen, createRedactor({ pass: 'canaryPw123' }))).not.toThrow();
  });
});
