import { PassThrough } from 'node:stream';
import { createRedactor } from '../security/redact.js';
import { formatAge, Output, renderTable } from './output.js';

describe('CLI output', () => {
  it('pads columns to their widest cell, right-aligns numbers, shows - for no value and (none) for no rows', () => {
    const rows = [
      { name: 'orders', pending: 42, paused: false },
      { name: 'inventory-service', pending: 3, paused: undefined },
    ];
    const table = renderTable(rows, [
      { header: 'name', value: (r) => r.name },
      { header: 'pending', value: (r) => r.pending, right: true },
      { header: 'paused', value: (r) => r.paused },
    ]);
    expect(table.split('\n')).toEqual(['NAME               PENDING  PAUSED', 'orders                  42  no', 'inventory-service        3  -']);
    expect(renderTable([], [{ header: 'x', value: () => 1 }])).toBe('(none)');
  });

  it('formats ages for people', () => {
    expect([0, 42_000, 192_000, 2 * 3600_000 + 5 * 60_000, 76 * 3600_000].map(formatAge)).toEqual(['0s', '42s', '3m12s', '2h05m', '3d4h']);
  });

  it('writes only the JSON document to stdout with --json, and redacts everything it writes', () => {
    const stdout = new PassThrough();
    let text = '';
    stdout.on('data', (c: Buffer) => (text += c.toString()));
    const out = new Output(true, createRedactor({ pass: 'hunter2-secret' }), stdout, new PassThrough());
    out.line('for people');
    out.table([{ a: 1 }], [{ header: 'a', value: (r) => r.a }]);
    out.result({ url: 'nats://u:hunter2-secret@host:4222' });
    expect(JSON.parse(text)).toEqual({ url: expect.not.stringContaining('hunter2-secret') as unknown });
  });
});
