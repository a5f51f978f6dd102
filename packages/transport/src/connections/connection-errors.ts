import { JetStreamConfigError, JetStreamConnectionError } from '../errors/jetstream-transport.error.js';

/** The name of the default connection (the `connection` option) in reports and errors. */
export const DEFAULT_CONNECTION_NAME = 'default';

/** A publish through a named connection that is not connected now (never yet, or lost): nothing was sent. */
export class ConnectionUnavailableError extends JetStreamConnectionError {
  constructor(
    /** The connection's name, as in the `connections` option. */
    readonly connection: string,
    subject: string,
    why: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Cannot publish ${subject} through connection "${connection}": ${why}. Nothing was sent; publish again once it is back (client.connections.report() says when), or publish through another connection.`,
      options,
    );
    this.name = 'ConnectionUnavailableError';
  }
}

/** A connection name that is not in the `connections` option. */
export class UnknownConnectionError extends JetStreamConfigError {
  constructor(
    readonly connection: string,
    where: string,
    known: readonly string[],
  ) {
    super(
      `${where} names connection "${connection}", which is not declared; the known connections are ${known.map((k) => `"${k}"`).join(', ')}. Declare it in the connections option or fix the name.`,
    );
    this.name = 'UnknownConnectionError';
  }
}
