/** A JSON value as block YAML (strings double-quoted, as JSON writes them: valid YAML, no ambiguity such as `"on"` or `"10"`). */
export function toYaml(value: unknown, indent = 0): string {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return value.map((v) => `${pad}- ${isBlock(v) ? toYaml(v, indent + 2).trimStart() : scalar(v)}`).join('\n');
  }
  if (isObject(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return entries.map(([k, v]) => (isBlock(v) ? `${pad}${key(k)}:\n${toYaml(v, indent + 2)}` : `${pad}${key(k)}: ${scalar(v)}`)).join('\n');
  }
  return scalar(value);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isBlock(v: unknown): boolean {
  return (Array.isArray(v) && v.length > 0) || (isObject(v) && Object.keys(v).length > 0);
}

function key(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.\-/]*$/.test(k) ? k : JSON.stringify(k);
}

function scalar(v: unknown): string {
  if (Array.isArray(v)) return '[]';
  if (isObject(v)) return '{}';
  return JSON.stringify(v);
}
