import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { Logger, type LoggerService } from '@nestjs/common';
import { createRedactor } from '../security/redact.js';
import { Provisioner } from './provisioner.js';

const SECRET = 'canaryPw123';

/** A manager with no streams, which creates what it is asked to. */
function emptyServer(): JetStreamManager {
  const notFound = () => Promise.reject(new JetStreamApiError({ code: 404, err_code: JetStreamApiCodes.StreamNotFound, description: 'stream not found' }));
  return {
    streams: {
      info: notFound,
      find: notFound,
      list: () => ({ [Symbol.asyncIterator]: async function* () {} }),
      add: (config: StreamConfig) => Promise.resolve({ config, state: {}, created: new Date().toISOString() }),
    },
  } as unknown as JetStreamManager;
}

describe("Provisioner's log lines", () => {
  const lines: string[] = [];
  const capture: LoggerService = { log: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
  beforeEach(() => {
    lines.length = 0;
    Logger.overrideLogger(capture);
  });
  afterEach(() => Logger.overrideLogger(true));

  it("go through the server's redactor, which knows the connection's verbatim secrets", async () => {
    // A subject that happens to echo the password: no shape gives it away, only the redactor knows it.
    await new Provisioner(emptyServer(), 'create-or-update', 'billing', createRedactor({ pass: SECRET })).provisionStreams([
      { name: 'ORDERS', subjects: [`orders.${SECRET}.>`] },
    ]);
    expect(lines).toEqual(['Created stream ORDERS (orders.***.>)']);
  });
});
