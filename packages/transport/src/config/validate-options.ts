import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { JetStreamOptions } from '../interfaces/jetstream-options.interface.js';
import { toStreamConfig, validateStreamDeclarations } from './stream-config.js';
import { describeValue } from '../errors/describe-value.js';
import { validateIdempotencyOptions } from './idempotency-options.js';
import { checkTlsOptions } from '../connection/tls-required.js';
import { checkOptionObject } from './option-checks.js';
import { SERVER_OPTIONS } from './option-tables.js';

/**
 * Checks the options a server or client is constructed with, before anything connects: every key
 * against `SERVER_OPTIONS` (a misspelt one is refused naming the nearest, at every level), every
 * value against its check, then what spans several options. A misspelt mode would otherwise fall
 * through to behaviour nobody asked for (a typo of 'verify' creating streams). Every error names
 * the option, what it got and what it takes.
 */
export function validateOptions(options: JetStreamOptions, who: string): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new JetStreamConfigError(`${who} options must be an object; got ${describeValue(options)}.`);
  }
  checkOptionObject(options, SERVER_OPTIONS, who);
  const streams = options.streams ?? [];
  validateStreamDeclarations(streams);
  for (const s of streams) toStreamConfig(s); // enum values and durations, each error naming the stream and field
  validateIdempotencyOptions(options.idempotency, who);
  checkTlsOptions(options.connection, who);
}
