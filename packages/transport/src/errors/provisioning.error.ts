import { JetStreamErrorCode, JetStreamTransportError } from './jetstream-transport.error.js';

/** One way the server's streams or consumers differ from what the app declares. */
export interface ProvisioningDifference {
  kind: 'stream' | 'consumer';
  /** Stream name, or `STREAM/durable` for a consumer. */
  name: string;
  /** The config field (server name, e.g. `max_deliver`), or `(missing)` when the whole object is absent. */
  field: string;
  expected: unknown;
  actual: unknown;
  /** Whether the server can change this field in place. */
  updatable: boolean;
  /** The app's option for `field` (`maxAge` for `max_age`), when it has one. */
  option?: string;
  /** Both values as the app writes them (`'1h'`, the handler's `maxDeliver`), when they differ from the server's units. */
  shown?: { expected: string; actual: string };
}

function show(v: unknown): string {
  return v === undefined ? '(unset)' : JSON.stringify(v);
}

export function formatDifferences(differences: ProvisioningDifference[]): string {
  return differences
    .map((d) =>
      d.field === '(missing)'
        ? `  - ${d.kind} ${d.name}: missing`
        : d.option && d.shown
          ? `  - ${d.kind} ${d.name}: ${d.option} is ${d.shown.actual} on the server, the app declares ${d.shown.expected} (${d.field})${d.updatable ? '' : ' (cannot be changed in place)'}`
          : `  - ${d.kind} ${d.name}: ${d.field} is ${show(d.actual)}, the app declares ${show(d.expected)}${d.updatable ? '' : ' (cannot be changed in place)'}`,
    )
    .join('\n');
}

/** Streams or consumers on the server do not match the app's declarations, or cannot be made to. */
export class ProvisioningError extends JetStreamTransportError {
  constructor(
    message: string,
    readonly differences: ProvisioningDifference[] = [],
    options?: { cause?: unknown },
  ) {
    super(JetStreamErrorCode.Provisioning, differences.length ? `${message}\n${formatDifferences(differences)}` : message, options);
    this.name = 'ProvisioningError';
  }
}

/** No stream captures a subject the app publishes to or handles. */
export class NoStreamForSubjectError extends JetStreamTransportError {
  constructor(
    readonly subject: string,
    detail = '',
  ) {
    super(
      JetStreamErrorCode.NoStreamForSubject,
      `No JetStream stream captures subject "${subject}"${detail}. Declare a stream whose subjects include it (options.streams) or create one on the server.`,
    );
    this.name = 'NoStreamForSubjectError';
  }
}
