import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { describeValue } from '../errors/describe-value.js';
import { toMillis } from '../utils/duration.js';

/**
 * Checks one option's value. `where` names what is configured (`JetStreamServer`,
 * `@JetStreamEvent('orders.created') on OrdersController.onCreated`), `path` the option in it
 * (`health.storageUsageMax`); every error starts with `<where>: <path>`.
 */
export type OptionCheck = (value: unknown, where: string, path: string) => void;

/**
 * Every key of an options interface with its check. Mapped over `keyof Required<T>`, so an option
 * added to the interface without a line here is a compile error, and a line for a key the interface
 * lacks is one too: the table and the type cannot drift apart.
 */
export type OptionTable<T> = { readonly [K in keyof Required<T>]: OptionCheck };

const fail = (where: string, path: string, wants: string, value: unknown): never => {
  throw new JetStreamConfigError(`${where}: ${path} must be ${wants}; got ${describeValue(value)}.`);
};

/** Checked elsewhere (by the code that uses it, with a message of its own), or anything goes. */
export const checkedElsewhere: OptionCheck = () => undefined;

export const flag: OptionCheck = (v, where, path) => {
  if (typeof v !== 'boolean') fail(where, path, 'true or false', v);
};

export const text: OptionCheck = (v, where, path) => {
  if (typeof v !== 'string') fail(where, path, 'a string', v);
};

export const fn: OptionCheck = (v, where, path) => {
  if (typeof v !== 'function') fail(where, path, 'a function', v);
};

/** A whole number from `min` (inclusive), e.g. a count of messages or attempts. */
export const wholeNumber =
  (min: number): OptionCheck =>
  (v, where, path) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(where, path, `a whole number ≥ ${min}`, v);
  };

/** A fraction of a limit: more than 0, at most 1 (`0.9` is 90 %). */
export const ratio: OptionCheck = (v, where, path) => {
  if (typeof v !== 'number' || !(v > 0 && v <= 1)) fail(where, path, 'a fraction more than 0 and at most 1 (e.g. 0.9 for 90 %)', v);
};

/** A `Duration`; `positive` refuses 0. */
export const duration =
  ({ positive }: { positive: boolean }): OptionCheck =>
  (v, where, path) => {
    const ms = toMillis(v as number, `${where}: ${path}`);
    if (positive && ms <= 0) fail(where, path, 'more than 0', v);
  };

export const oneOf =
  (values: readonly string[]): OptionCheck =>
  (v, where, path) => {
    if (typeof v !== 'string' || !values.includes(v)) fail(where, path, `one of ${values.map((x) => `'${x}'`).join(', ')}`, v);
  };

export const listOf =
  (each: OptionCheck, what: string): OptionCheck =>
  (v, where, path) => {
    if (!Array.isArray(v)) fail(where, path, `an array of ${what}`, v);
    const list = v as unknown[];
    for (let i = 0; i < list.length; i++) each(list[i], where, `${path}[${i}]`); // holes too
  };

/** A nested options object, checked against its own table. */
export const nested =
  <T>(table: OptionTable<T>): OptionCheck =>
  (v, where, path) =>
    checkOptionObject(v, table, where, path);

/**
 * Checks an options object against its table: an object, no key the table lacks (naming the
 * nearest valid one), and every value that is set passes its check.
 */
export function checkOptionObject<T>(value: unknown, table: OptionTable<T>, where: string, path?: string): void {
  const known = Object.keys(table);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new JetStreamConfigError(`${where}: ${path ?? 'the options'} must be an object; got ${describeValue(value)}. See the options table in the README.`);
  }
  const prefix = path ? `${path}.` : '';
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const near = nearestName(key, known);
      throw new JetStreamConfigError(
        `${where}: unknown option "${prefix}${key}"${near ? ` (did you mean "${prefix}${near}"?)` : ''}. ${path ? `The options of ${path} are` : 'The options are'} ${known.join(', ')}.`,
      );
    }
  }
  const checks = table as Readonly<Record<string, OptionCheck>>;
  for (const [key, v] of Object.entries(value)) {
    if (v !== undefined) checks[key](v, where, `${prefix}${key}`);
  }
}

/** The valid name nearest to a misspelt one: the same letters in another case, or at most two edits away. */
export function nearestName(typed: string, names: readonly string[]): string | undefined {
  const same = names.find((n) => n.toLowerCase() === typed.toLowerCase());
  if (same) return same;
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(name, typed);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return Infinity;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}
