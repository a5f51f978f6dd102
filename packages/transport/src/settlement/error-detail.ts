import { DEFAULTS } from '../constants.js';
import { withoutControlCharacters } from '../utils/headers.js';
import { describeValue } from '../errors/describe-value.js';
import { redactSecrets } from '../security/redact.js';

/**
 * What an error says, for logs, term reasons and dead-letter headers. `name: message` alone lost
 * what mattered most: a `ValidationPipe` rejection read "Bad Request Exception" without its
 * field list, and a `TypeError` deep in a handler had no file or line. Pure.
 */

/** A stack with at least one frame (`at fn (file:line:col)`): what Nest's ConsoleLogger prints as a stack. */
const STACK_WITH_FRAMES = /^(.)+\n\s+at .+:\d+:\d+/;
/** Causes followed below an error's own stack, at most. */
const MAX_CAUSES = 3;

/**
 * `Name: message`, plus an `HttpException`'s or `RpcException`'s response (the field list of a validation), one line, bounded,
 * redacted by `redact` (the runner passes the connection's redactor where it makes a reason: that is the reason's one pass).
 */
export function describeError(error: unknown, max: number = DEFAULTS.maxReasonLength, redact: (text: string) => string = redactSecrets): string {
  let text: string;
  if (error instanceof Error) text = `${nameOf(error)}: ${error.message}${responseDetail(error)}`;
  else if (typeof error === 'object' && error !== null && 'message' in error) text = String((error as { message: unknown }).message);
  else text = safeString(error);
  // One line, and no escape sequence from a payload quoted in an error (JSON.parse quotes its input) reaches a log;
  // redacted before truncating: a secret cut in half is no longer recognisable.
  text = redact(withoutControlCharacters(text.replace(/\s+/g, ' ').trim()).text);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `String(value)`, which throws for an object without a prototype: then its JSON. */
function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return describeValue(value, Infinity);
  }
}

/** The error's name; a subclass that left it `'Error'` (Nest's `RpcException`, many apps' own) by its class name. */
function nameOf(error: Error): string {
  const ctor = (error as { constructor?: { name?: unknown } }).constructor?.name;
  return error.name === 'Error' && typeof ctor === 'string' && ctor !== '' && ctor !== 'Error' ? ctor : error.name;
}

/**
 * What an exception carries beyond its message: an `HttpException`'s response (`getResponse()`,
 * e.g. `{ statusCode: 400, message: ['name must be a string'] }`) or an `RpcException`'s error
 * (`getError()`). Read through their public methods, so Nest's classes need not be loaded.
 */
function responseDetail(error: Error): string {
  const e = error as { getResponse?: unknown; getStatus?: unknown; getError?: unknown };
  const status: unknown = typeof e.getStatus === 'function' ? (e.getStatus as () => unknown).call(error) : undefined;
  const response: unknown =
    typeof e.getResponse === 'function'
      ? (e.getResponse as () => unknown).call(error)
      : typeof e.getError === 'function'
        ? (e.getError as () => unknown).call(error)
        : undefined;
  const where = typeof status === 'number' ? ` (status ${status})` : '';
  if (typeof response === 'string') return response === error.message ? where : `${where}: ${response}`;
  if (typeof response !== 'object' || response === null) return where;
  const message: unknown = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return `${where}: ${message.map((m) => (typeof m === 'string' ? m : safeJson(m))).join('; ')}`;
  if (typeof message === 'string') return message === error.message ? where : `${where}: ${message}`;
  return `${where}: ${safeJson(response)}`;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Errors whose stack shows only the library's own frames: none is printed or published for them. */
const NO_STACK = new Set(['HandlerTimeoutError', 'DecodeError']);

/**
 * The error's stack with its causes' (`Caused by: …`), or undefined when it has no frame to show,
 * or only the library's own: a `HandlerTimeoutError` is made by the runner's timer, not the handler,
 * and a `DecodeError` by the runner's decode (its message already quotes the codec's; during a flood
 * of undecodable messages a stack per message would be pure cost and noise).
 */
export function errorStack(error: unknown): string | undefined {
  // The name first: reading `stack` makes V8 format it.
  if (!(error instanceof Error) || NO_STACK.has(error.name)) return undefined;
  if (typeof error.stack !== 'string' || !STACK_WITH_FRAMES.test(error.stack)) return undefined;
  let text = error.stack;
  let cause: unknown = error.cause;
  for (let depth = 0; depth < MAX_CAUSES && cause instanceof Error && typeof cause.stack === 'string'; depth++) {
    text += `\nCaused by: ${cause.stack}`;
    cause = cause.cause;
  }
  return text;
}

/** A log line followed by the error's stack on the lines below, when it has one (for levels whose logger takes no stack argument). */
export function withStack(line: string, error: unknown): string {
  const stack = errorStack(error);
  return stack ? `${line}\n${stack}` : line;
}

/** Logs a final failure at error level, with the stack as Nest's `LoggerService.error(message, stack)` takes it. */
export function logFailure(logger: { error(message: unknown, ...rest: unknown[]): unknown }, line: string, error: unknown): void {
  const stack = errorStack(error);
  // An undefined second argument would be printed as a message of its own by Nest's logger.
  if (stack) logger.error(line, stack);
  else logger.error(line);
}

/**
 * A stack as one header value, escaped as in a JSON string: a line break is written `\n` (a
 * header value cannot hold one) and a backslash `\\`; other control characters become spaces.
 * Bounded to `max` characters by whole lines, and every part keeps its head: the error's first
 * line and each `Caused by:` line stay, each with as many of its first frames as fit (the same
 * number for each, then what room is left to the error's own and to each cause in turn), and a line `… n more line(s)` says where
 * frames were left out. `readStackHeader` turns it back. Pure.
 */
export function stackHeaderValue(stack: string, max: number = DEFAULTS.deadLetter.maxStackLength): string {
  // eslint-disable-next-line no-control-regex
  const lines = stack.split(/\r?\n/).map((l) => l.replace(/[\x00-\x1f\x7f]/g, ' ').replace(/\\/g, '\\\\'));
  const whole = lines.join('\\n');
  if (whole.length <= max) return whole;
  const parts: string[][] = [];
  for (const line of lines) {
    if (parts.length === 0 || line.startsWith('Caused by:')) parts.push([line]);
    else parts[parts.length - 1].push(line);
  }
  const render = (frames: (i: number) => number) =>
    parts
      .flatMap((part, i) => {
        const kept = Math.min(frames(i), part.length - 1);
        const left = part.length - 1 - kept;
        return left > 0 ? [...part.slice(0, kept + 1), `    … ${left} more line(s)`] : part;
      })
      .join('\\n');
  const deepest = Math.max(...parts.map((p) => p.length - 1));
  let each = -1;
  while (each < deepest && render(() => each + 1).length <= max) each++;
  if (each < 0) return firstLines(lines, max);
  // The room left goes to the error's own frames first, then to each cause's in turn.
  const kept = parts.map(() => each);
  for (let i = 0; i < parts.length; i++) {
    while (kept[i] < parts[i].length - 1 && render((j) => (j === i ? kept[j] + 1 : kept[j])).length <= max) kept[i]++;
  }
  return render((i) => kept[i]);
}

/** When not even the heads of the parts fit (long messages): the lines from the top, as many as fit. */
function firstLines(lines: string[], max: number): string {
  let out = '';
  for (let i = 0; i < lines.length; i++) {
    const more = `\\n    … ${lines.length - i} more line(s)`;
    const next = i === 0 ? lines[0] : `${out}\\n${lines[i]}`;
    if (next.length <= max - more.length) {
      out = next;
      continue;
    }
    // Not even the first line fits: cut it.
    if (i === 0) return `${lines[0].slice(0, Math.max(max - more.length - 1, 0))}…${more}`.slice(0, max);
    return `${out}${more}`;
  }
  return out;
}

/** The stack a `Dead-Letter-Stack` header holds, with its line breaks back. */
export function readStackHeader(value: string): string {
  return value.replace(/\\([\\n])/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}
