import { headers } from '@nats-io/nats-core';
import { InvalidHeaderError } from '../errors/input.errors.js';
import { readMetadata, withMetadata } from './packet-metadata.js';

describe('packet metadata', () => {
  it('refuses metadata a header cannot carry, naming it', () => {
    expect(() => withMetadata(undefined, { tenant: 'acme\r\nX-Admin: 1' }, 'orders.created')).toThrow(InvalidHeaderError);
    expect(() => withMetadata(undefined, { 'bad key': 'x' }, 'orders.created')).toThrow(/Header "Nest-Meta-bad key" for "orders\.created"/);
    expect(withMetadata(undefined, { tenant: 'acme' }, 'orders.created').get('Nest-Meta-tenant')).toBe('acme');
  });

  it('reads a __proto__ key from the wire as an own property, leaving prototypes alone', () => {
    const h = headers();
    h.append('Nest-Meta-__proto__', 'polluted');
    h.append('Nest-Meta-constructor', 'x');
    h.append('Nest-Meta-tenant', 'acme');
    const meta = readMetadata(h);
    expect(Object.getPrototypeOf(meta)).toBe(Object.prototype);
    expect(Object.keys(meta)).toEqual(['__proto__', 'constructor', 'tenant']);
    expect(Object.getOwnPropertyDescriptor(meta, '__proto__')?.value).toBe('polluted');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
