import { JetStreamErrorCode, JetStreamTransportError } from './jetstream-transport.error.js';

/** The server refused this identity an operation: which, on what subject, and what would allow it. */
export class JetStreamPermissionError extends JetStreamTransportError {
  constructor(
    readonly operation: 'publish' | 'subscription',
    readonly subject: string,
    allow: string,
    options?: { cause?: unknown },
  ) {
    super(
      JetStreamErrorCode.Permission,
      `This NATS identity may not ${operation === 'publish' ? 'publish to' : 'subscribe to'} "${subject}". ${allow} (server.permissions() computes each role's set: see docs/security.md).`,
      options,
    );
    this.name = 'JetStreamPermissionError';
  }
}
