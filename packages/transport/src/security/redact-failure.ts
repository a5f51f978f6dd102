import { redactErrorChain, redactSecrets } from './redact.js';

/**
 * Redacts a handler's failure once, where the runner catches it, before any log, span, event or
 * dead letter sees it: the `message` of the error and of its causes, with the connection's
 * redactor. Their `stack` is redacted only when one of those messages held a secret: a stack is
 * its error's first message followed by code locations, and reading it makes V8 format it, which a
 * retried attempt that logs no stack never needs. What prints a stack (the logger, the
 * `Dead-Letter-Stack` header) redacts it as it prints it.
 */
export function redactFailure<T>(err: T, redact: (text: string) => string = redactSecrets): T {
  const seen = new Set<unknown>();
  let changed = false;
  for (let e: unknown = err, depth = 0; e instanceof Error && !seen.has(e) && depth < 8; depth++) {
    seen.add(e);
    const message: unknown = e.message;
    if (typeof message === 'string' && redact(message) !== message) {
      changed = true;
      break;
    }
    e = e.cause;
  }
  // Rare (an error that echoes a credential): the whole chain, stacks included.
  return changed ? redactErrorChain(err, redact) : err;
}
