import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A test CA, a server and a client certificate it signed (for 127.0.0.1 and localhost), and an unrelated CA. */
export interface TlsCertificates {
  /** Paths, for a nats-server config. */
  files: { ca: string; serverCert: string; serverKey: string };
  /** PEM text, for `connection.tls`. */
  pem: { ca: string; clientCert: string; clientKey: string; otherCa: string };
  /** A nats-server config block serving TLS; `verify` asks clients for certificates too. */
  serverConfig(verify: boolean): string;
}

/** Makes the certificates with openssl in `dir` (a temp dir the caller removes). */
export function makeTlsCertificates(dir: string): TlsCertificates {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=test-ca', '-keyout', 'ca.key', '-out', 'ca.pem');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  for (const name of ['server', 'client']) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'san.ext',
      '-out',
      `${name}.pem`,
    );
  }
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=other-ca', '-keyout', 'other.key', '-out', 'other.pem');
  const file = (name: string) => readFileSync(join(dir, name), 'utf8');
  const files = { ca: join(dir, 'ca.pem'), serverCert: join(dir, 'server.pem'), serverKey: join(dir, 'server.key') };
  return {
    files,
    pem: { ca: file('ca.pem'), clientCert: file('client.pem'), clientKey: file('client.key'), otherCa: file('other.pem') },
    serverConfig: (verify) => `tls { cert_file: "${files.serverCert}", key_file: "${files.serverKey}", ca_file: "${files.ca}", verify: ${verify} }`,
  };
}
