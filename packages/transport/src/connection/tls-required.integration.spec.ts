import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeConnectionOptions } from '@nats-io/transport-node';
import { NatsServer } from '@nest-jetstream/testing';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamConnectionError } from '../errors/jetstream-transport.error.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import { makeTlsCertificates, type TlsCertificates } from '../__fixtures__/tls-certificates.js';

// Where the user asked for TLS (a tls:// URL, or connection.tls), a server that offers no TLS is
// refused with an error that says so, instead of a connection in plain text.

const dir = mkdtempSync(join(tmpdir(), 'nest-jetstream-tls-'));
let certs: TlsCertificates;
let plain: NatsServer;
let secure: NatsServer;
const tlsUrl = (server: NatsServer) => server.url.replace(/^nats:/, 'tls:');

beforeAll(async () => {
  certs = makeTlsCertificates(dir);
  [plain, secure] = await Promise.all([NatsServer.start(), NatsServer.start({ config: certs.serverConfig(false) })]);
});
afterAll(async () => {
  await Promise.all([plain?.stop(), secure?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

async function connectError(connection: NodeConnectionOptions): Promise<unknown> {
  const client = new JetStreamClient({ connection: { reconnect: false, ...connection } });
  try {
    return await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
  } finally {
    await client.close();
  }
}

describe('TLS asked for, against real nats-servers', () => {
  it('refuses a server without TLS for a tls:// URL, saying the server offers no TLS and how to fix it', async () => {
    const err = await connectError({ servers: tlsUrl(plain) });
    expect(err).toBeInstanceOf(JetStreamConnectionError);
    expect((err as Error).message).toMatch(
      /cannot connect to NATS at tls:\/\/127\.0\.0\.1:\d+: server does not support 'tls'\. The server does not offer TLS, and TLS was asked for/,
    );
    expect((err as Error).message).toMatch(
      /Turn TLS on in nats-server \(a tls \{ cert_file, key_file \} block in its config\), or, where plain text is really meant, use a nats:\/\/ URL/,
    );
  });

  it('refuses it for connection.tls with a nats:// URL too, and for the server at listen()', async () => {
    expect(((await connectError({ servers: plain.url, tls: { ca: certs.pem.ca } })) as Error).message).toMatch(/The server does not offer TLS/);
    const server = new JetStreamServer({ connection: { servers: [tlsUrl(plain)], reconnect: false } });
    const failed = await new Promise<unknown>((resolve) => void server.listen((err) => resolve(err)));
    expect(failed).toBeInstanceOf(JetStreamConnectionError);
    expect((failed as Error).message).toMatch(/JetStreamServer cannot connect .*The server does not offer TLS/);
  });

  it('connects to a TLS server with a tls:// URL and publishes, encrypted', async () => {
    const client = new JetStreamClient({
      connection: { servers: tlsUrl(secure), tls: { ca: certs.pem.ca } },
      streams: [{ name: 'TLS_OK', subjects: ['tls.ok'] }],
    });
    try {
      expect((await client.publish('tls.ok', { ok: true })).seq).toBe(1);
      // The server's view: this connection is TLS.
      const connz = (await (await fetch(`http://${secure.host}:${secure.ports.monitor}/connz`)).json()) as { connections: { tls_version?: string }[] };
      expect(connz.connections.length).toBeGreaterThan(0);
      expect(connz.connections.every((c) => typeof c.tls_version === 'string')).toBe(true);
    } finally {
      await client.close();
    }
  });
});
