// A publish written on the wire by hand: any header block at all, as a hostile or broken client sends it.
import { connect as tcpConnect } from 'node:net';

/** Publishes `payload` to `subject` with the header block `header` as given (`NATS/1.0\r\n…\r\n\r\n`); resolves once the server answered a PING after it. */
export function rawHpub(url: string, subject: string, header: string, payload: Uint8Array): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(Number(port), hostname);
    let out = '';
    socket.once('data', () => {
      const h = Buffer.from(header, 'latin1');
      socket.write(`CONNECT {"verbose":false,"pedantic":false,"headers":true,"protocol":1}\r\nHPUB ${subject} ${h.length} ${h.length + payload.length}\r\n`);
      socket.write(Buffer.concat([h, payload, Buffer.from('\r\nPING\r\n')]));
      socket.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('-ERR')) reject(new Error(`the server refused the raw publish: ${out}`));
        else if (out.includes('PONG')) {
          socket.end();
          resolve();
        }
      });
    });
    socket.on('error', reject);
  });
}

/** A header block nats.js cannot parse (a space in a header name): every read of the message's headers throws. */
export const UNPARSABLE_HEADER_BLOCK = 'NATS/1.0\r\nbad name: x\r\n\r\n';
