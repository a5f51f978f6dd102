/**
 * What the `nest-jetstream` binary's exit code means (docs/cli.md lists the same table): a script
 * can tell a typo from an unreachable server from a missing consumer without reading the text.
 */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** An unexpected failure (a bug, or an error the CLI does not know): the message says what. */
  failed: 1,
  /** A command line the CLI does not understand: unknown command or flag, a missing argument. */
  usage: 2,
  /** The NATS server cannot be reached, refused the credentials, or has no JetStream. */
  connection: 3,
  /** A stream, consumer or message named on the command line is not on the server. */
  notFound: 4,
  /** The server is too old for what was asked (consumer pause needs nats-server 2.11). */
  unsupported: 5,
  /** The app's module (`--app`) cannot be loaded or has no JetStream handlers. */
  app: 6,
  /** A check failed: `k8s --check` found files that differ from what the app generates. */
  check: 7,
  /** The user declined a confirmation (nothing was changed). */
  declined: 8,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI expected: its message is printed as it is (redacted), and the process exits with `code`. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly code: ExitCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
