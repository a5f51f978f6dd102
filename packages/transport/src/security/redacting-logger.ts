import { Logger, type LoggerService } from '@nestjs/common';
import { redactErrorChain, redactSecrets } from './redact.js';

type Level = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';

/**
 * A log line every part of which was redacted where it was made (a settle reason, a failure's
 * description, a subject): `RedactingLogger` writes its text as it is instead of redacting it a
 * second time. Made only by code that redacted each part with the connection's redactor.
 */
export class RedactedLine {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

/**
 * A Nest logger whose every line goes through `redact` first: strings are redacted, errors (and
 * their causes) have their message and stack redacted in place; a `RedactedLine` was redacted
 * where it was made and is written as it is (one pass). Everything the library logs goes through
 * one of these, so a message built anywhere cannot print a secret.
 */
export class RedactingLogger implements LoggerService {
  constructor(
    private readonly inner: LoggerService,
    private readonly redact: (text: string) => string = redactSecrets,
  ) {}

  /** A Nest `Logger` with this context, redacting with `redact`. */
  static for(context: string, redact?: (text: string) => string): RedactingLogger {
    return new RedactingLogger(new Logger(context), redact);
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('log', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    const method = this.inner[level] ?? this.inner.log;
    method.call(this.inner, this.clean(message), ...params.map((p) => this.clean(p)));
  }

  private clean(value: unknown): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (value instanceof RedactedLine) return value.text;
    if (value instanceof Error) return redactErrorChain(value, this.redact);
    return value;
  }
}
