import { DEFAULT_CONNECTION_NAME } from '../connections/connection-errors.js';
import { describeValue } from '../errors/describe-value.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { NamedConnectionOptions } from '../interfaces/named-connections.interface.js';
import { nameProblem } from '../utils/subjects.js';
import { checkOptionObject, flag, type OptionCheck, type OptionTable } from './option-checks.js';

const NAMED_CONNECTION_OPTIONS: OptionTable<NamedConnectionOptions> = {
  connection: (v, where, path) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw new JetStreamConfigError(
        `${where}: ${path} must be nats.js connection options, e.g. { servers: ['nats://billing:4222'] }; got ${describeValue(v)}.`,
      );
  },
  domain: (v, where, path) => {
    const bad = typeof v === 'string' ? nameProblem(v) : 'it is not a string';
    if (bad) throw new JetStreamConfigError(`${where}: ${path} ${describeValue(v)} is invalid: ${bad}. Use letters, digits, "-" and "_".`);
  },
  critical: flag,
};

/** The `connections` option: an object of named connections, each with its `connection`. */
export const checkConnectionsOption: OptionCheck = (v, where, path) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new JetStreamConfigError(
      `${where}: ${path} must be an object of named connections, e.g. { billing: { connection: { servers } } }; got ${describeValue(v)}.`,
    );
  for (const [name, c] of Object.entries(v)) {
    const at = `${path}.${name}`;
    if (name === DEFAULT_CONNECTION_NAME || !/^[A-Za-z0-9_-]+$/.test(name))
      throw new JetStreamConfigError(
        `${where}: ${at}: a connection name uses letters, digits, "-" and "_" and is not "${DEFAULT_CONNECTION_NAME}" (the connection option is the default one).`,
      );
    checkOptionObject(c, NAMED_CONNECTION_OPTIONS, where, at);
    if ((c as { connection?: unknown }).connection === undefined)
      throw new JetStreamConfigError(
        `${where}: ${at}.connection is missing; give its servers (and credentials, tls), e.g. { connection: { servers: ['nats://billing:4222'] } }.`,
      );
  }
};
