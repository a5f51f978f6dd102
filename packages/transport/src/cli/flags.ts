import type { CliValues } from './cli-command.js';
import { CliError, EXIT } from './exit-codes.js';

/** A string flag's value, or undefined. */
export function stringFlag(values: CliValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A whole-number flag (≥ 0), or undefined; anything else is a usage error naming the flag. */
export function intFlag(values: CliValues, name: string): number | undefined {
  const v = stringFlag(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`--${name} must be a whole number; got "${v}"`, EXIT.usage);
  return n;
}
