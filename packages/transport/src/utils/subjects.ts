/** NATS subject matching and naming rules, as the server applies them. */
import { LIMITS } from '../constants.js';

/** White space (CR and LF included: they would end the protocol line) and every other control character. */
// eslint-disable-next-line no-control-regex
const TOKEN_INVALID = /[\s\x00-\x1f\x7f]/;

/** Why `subject` is not a valid NATS subject (or filter, with wildcards), or undefined when it is. */
export function subjectProblem(subject: string, allowWildcards = true): string | undefined {
  if (!subject) return 'it is empty';
  // A longer one makes the server close the connection (maximum control line exceeded), taking every publish in flight with it.
  const bytes = Buffer.byteLength(subject);
  if (bytes > LIMITS.maxSubjectBytes) return `it is ${bytes} bytes long, over the ${LIMITS.maxSubjectBytes} a NATS publish line allows`;
  const tokens = subject.split('.');
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === '') return 'it has an empty token (leading, trailing or double dot)';
    if (TOKEN_INVALID.test(t)) return `token ${JSON.stringify(t)} contains white space or a control character`;
    if (t.length > 1 && (t.includes('*') || t.includes('>'))) return `token "${t}" mixes a wildcard with other characters`;
    if (!allowWildcards && (t === '*' || t === '>')) return 'wildcards are not allowed here';
    if (t === '>' && i !== tokens.length - 1) return '">" may only be the last token';
  }
  return undefined;
}

/** Whether the concrete or wildcard `subject` is entirely captured by `filter`. */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length || s[i] === '>') return false;
    if (f[i] !== '*' && f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}

/** Whether some concrete subject matches both filters. */
export function subjectsOverlap(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === '>' || q === '>') return p !== undefined && q !== undefined;
    if (p === undefined || q === undefined) return false;
    if (p !== '*' && q !== '*' && p !== q) return false;
  }
  return true;
}

const NAME_INVALID = /[\s.*>/\\]/;

/** Why `name` cannot be a stream or consumer name, or undefined when it can. */
export function nameProblem(name: string): string | undefined {
  if (!name) return 'it is empty';
  if (NAME_INVALID.test(name)) return 'it contains white space, ".", "*", ">", "/" or "\\"';
  if (name.length > 255) return 'it is longer than 255 characters';
  return undefined;
}

/**
 * A stable durable consumer name from the service name and the handler's subject:
 * `orders.*.created` in service `billing` → `billing__orders_star_created`.
 */
export function deriveDurableName(serviceName: string, subject: string): string {
  return `${durablePrefix(serviceName)}${namePart(subject)}`;
}

/** What every durable name derived for `serviceName` starts with: `billing` → `billing__`. */
export function durablePrefix(serviceName: string): string {
  return `${namePart(serviceName)}__`;
}

function namePart(s: string): string {
  return s
    .split('.')
    .map((t) => (t === '*' ? 'star' : t === '>' ? 'all' : t.replace(/[^A-Za-z0-9_-]/g, '_')))
    .join('_');
}
