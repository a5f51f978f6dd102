/** How long a non-critical named connection waits between attempts to connect the first time. */
export const NAMED_CONNECTION_RETRY_MS = 1_000;
