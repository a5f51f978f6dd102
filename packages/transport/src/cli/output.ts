import type { Redactor } from '../security/redact.js';

/** A column of a table: its header and how a row shows in it. */
export interface Column<T> {
  header: string;
  value: (row: T) => string | number | boolean | undefined;
  /** Right-aligned (numbers). */
  right?: boolean;
}

/** Where a command writes: tables and lines for people, one JSON document for scripts (`--json`); every text redacted. */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly redact: Redactor,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
    private readonly compactJson = false,
  ) {}

  /** A line for people (nothing in `--json` mode: stdout holds the JSON document alone). */
  line(text = ''): void {
    if (!this.json) this.stdout.write(`${this.redact(text)}\n`);
  }

  /** A table for people (nothing in `--json` mode). */
  table<T>(rows: readonly T[], columns: readonly Column<T>[]): void {
    if (this.json) return;
    this.stdout.write(`${this.redact(renderTable(rows, columns))}\n`);
  }

  /** The result for scripts (`--json` mode only). */
  result(value: unknown): void {
    if (this.json) this.stdout.write(`${this.redact(JSON.stringify(value, null, this.compactJson ? undefined : 2))}\n`);
  }

  /** A document as it is (a generated file), for people and scripts alike. */
  raw(text: string): void {
    this.stdout.write(this.redact(text));
  }

  /** What the command is doing, on stderr, for people at a terminal only. */
  progress(text: string): void {
    if (!this.json && this.stderr.isTTY) this.stderr.write(`${this.redact(text)}\n`);
  }

  /** A warning on stderr (also in `--json` mode: stdout stays a JSON document). */
  warn(text: string): void {
    this.stderr.write(`nest-jetstream: warning: ${this.redact(text)}\n`);
  }
}

/** Columns padded to their widest cell, headers upper-cased; `(none)` for no rows. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((row) => columns.map((c) => cellText(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (columns[i].right ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header.toUpperCase())), ...cells.map(line)].join('\n');
}

function cellText(value: string | number | boolean | undefined): string {
  if (value === undefined) return '-';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

/** A duration for people: `0s`, `42s`, `3m12s`, `2h05m`, `3d4h`. */
export function formatAge(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}
