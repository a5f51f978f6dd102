import 'reflect-metadata';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credsAuthenticator, nkeyAuthenticator } from '@nats-io/nats-core';
import { encodeUser, fmtCreds } from '@nats-io/jwt';
import { createUser } from '@nats-io/nkeys';
import type { NodeConnectionOptions } from '@nats-io/transport-node';
import { NatsServer } from '@nest-jetstream/testing';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamConnectionError } from '../errors/jetstream-transport.error.js';
import { makeTlsCertificates } from '../__fixtures__/tls-certificates.js';
import { makeOperatorAccounts } from '../__fixtures__/operator-accounts.js';

// Every way a production server asks a service who it is: user/password (as options or in the URL), token, nkey, a .creds
// file (operator/account/user JWTs), TLS and mutual TLS. Each connects and publishes with
// PubAck; wrong credentials and an untrusted certificate are errors that say which.

const dir = mkdtempSync(join(tmpdir(), 'nest-jetstream-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function publishesWith(server: NatsServer, connection: NodeConnectionOptions, subject = 'auth.ok'): Promise<number> {
  const client = new JetStreamClient({ connection: { servers: server.url, ...connection }, streams: [{ name: 'AUTH', subjects: ['auth.>'] }] });
  try {
    return (await client.publish(subject, { ok: true })).seq;
  } finally {
    await client.close();
  }
}

async function refused(server: NatsServer, connection: NodeConnectionOptions): Promise<Error> {
  const client = new JetStreamClient({ connection: { servers: server.url, reconnect: false, ...connection } });
  try {
    return (await client.connect().then(
      () => new Error('connected'),
      (e: unknown) => e,
    )) as Error;
  } finally {
    await client.close();
  }
}

describe('authentication methods (real nats-server)', () => {
  it('user and password, token, nkey: connect and publish; wrong ones are refused naming the credentials', async () => {
    const nkey = createUser();
    const server = await NatsServer.start({
      config: `authorization { users: [ { user: svc, password: s3cret }, { nkey: "${nkey.getPublicKey()}" } ] }`,
    });
    try {
      expect(await publishesWith(server, { user: 'svc', pass: 's3cret' })).toBeGreaterThan(0);
      // In the URL (the NATS client ignores a URL's userinfo; the library lifts it into user/pass), percent-encoded.
      expect(await publishesWith(server, { servers: server.url.replace('nats://', 'nats://svc:s3cr%65t@') })).toBeGreaterThan(0);
      expect(await publishesWith(server, { authenticator: nkeyAuthenticator(nkey.getSeed()) })).toBeGreaterThan(0);
      const wrong = await refused(server, { user: 'svc', pass: 'nope' });
      expect(wrong).toBeInstanceOf(JetStreamConnectionError);
      expect(wrong.message).toMatch(/Authorization Violation\. Check the credentials in connection/);
      expect((await refused(server, { authenticator: nkeyAuthenticator(createUser().getSeed()) })).message).toMatch(/Check the credentials/);
    } finally {
      await server.stop();
    }
    const tokenServer = await NatsServer.start({ config: 'authorization { token: "t0ken" }' });
    try {
      expect(await publishesWith(tokenServer, { token: 't0ken' })).toBeGreaterThan(0);
      expect(await publishesWith(tokenServer, { servers: tokenServer.url.replace('nats://', 'nats://t0ken@') })).toBeGreaterThan(0);
      expect((await refused(tokenServer, { token: 'wrong' })).message).toMatch(/Check the credentials/);
    } finally {
      await tokenServer.stop();
    }
  });

  it('a .creds file: operator, account with JetStream and user JWTs made with @nats-io/jwt', async () => {
    // The application account apart from the system account, as in production.
    const { account, serverConfig } = await makeOperatorAccounts();
    const user = createUser();
    const creds = fmtCreds(await encodeUser('svc', user, account), user);
    const credsFile = join(dir, 'svc.creds');
    writeFileSync(credsFile, creds);
    const server = await NatsServer.start({ config: serverConfig });
    try {
      expect(await publishesWith(server, { authenticator: credsAuthenticator(readFileSync(credsFile)) })).toBeGreaterThan(0);
      // The user's JWT with another user's seed: the signature of the server's nonce does not match.
      const forged = fmtCreds(await encodeUser('svc', user, account), createUser());
      expect((await refused(server, { authenticator: credsAuthenticator(forged) })).message).toMatch(/Check the credentials/);
    } finally {
      await server.stop();
    }
  });

  it('TLS and mutual TLS with a CA made by openssl; an untrusted certificate is refused saying so', async () => {
    const certs = makeTlsCertificates(dir);
    const server = await NatsServer.start({ config: certs.serverConfig(true) });
    try {
      expect(await publishesWith(server, { tls: { ca: certs.pem.ca, cert: certs.pem.clientCert, key: certs.pem.clientKey } })).toBeGreaterThan(0);
      const untrusted = await refused(server, { tls: { ca: certs.pem.otherCa, cert: certs.pem.clientCert, key: certs.pem.clientKey } });
      expect(untrusted).toBeInstanceOf(JetStreamConnectionError);
      expect(untrusted.message).toMatch(/certificate.*Check connection\.tls/i);
      const noClientCert = await refused(server, { tls: { ca: certs.pem.ca } });
      expect(noClientCert).toBeInstanceOf(JetStreamConnectionError);
    } finally {
      await server.stop();
    }
  });
});
