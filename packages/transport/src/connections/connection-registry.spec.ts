import { Logger } from '@nestjs/common';
import { validateOptions } from '../config/validate-options.js';
import { checkNamedConnections } from '../health/connections-check.js';
import { resolvePublishDefaults } from '../publishing/publisher.js';
import { createRedactor } from '../security/redact.js';
import { ConnectionUnavailableError, UnknownConnectionError } from './connection-errors.js';
import { JetStreamConnections } from './connection-registry.js';
import type { NamedConnectionState } from './named-connection.js';

const deps = { who: 'JetStreamClient', publishDefaults: resolvePublishDefaults(), logger: new Logger('test'), redact: createRedactor(undefined) };

describe('JetStreamConnections', () => {
  it('reports up, degraded (only non-critical ones not up) and down (a critical one not up)', () => {
    let state: NamedConnectionState = 'up';
    const none = new JetStreamConnections(undefined, deps, () => state);
    expect(none.any).toBe(false);
    expect(none.report().status).toBe('up');
    const some = new JetStreamConnections({ billing: { connection: { servers: 'nats://b:4222' }, critical: false } }, deps, () => state);
    // Never started: the non-critical one is still connecting.
    expect(some.report()).toEqual({
      status: 'degraded',
      connections: [
        { name: 'default', critical: true, state: 'up' },
        { name: 'billing', critical: false, state: 'connecting' },
      ],
    });
    expect(checkNamedConnections(some.report())).toMatchObject({ name: 'nats.connections', status: 'up', details: { status: 'degraded' } });
    state = 'down';
    expect(some.report().status).toBe('down');
    expect(checkNamedConnections(some.report())).toMatchObject({ status: 'down', message: expect.stringContaining('"default" (down)') });
  });

  it('refuses a publish through an unknown name (naming the known ones) or a connection not up (naming it)', () => {
    const c = new JetStreamConnections({ billing: { connection: {} } }, deps, () => 'up');
    expect(() => c.publishers('biling', 'bill.x')).toThrow(UnknownConnectionError);
    expect(() => c.assertKnown('biling', 'Handler Billing.onInvoice')).toThrow(
      'Handler Billing.onInvoice names connection "biling", which is not declared; the known connections are "default", "billing".',
    );
    expect(() => c.assertKnown('default', 'x')).not.toThrow();
    const err = (() => {
      try {
        c.publishers('billing', 'bill.x');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConnectionUnavailableError);
    expect((err as ConnectionUnavailableError).connection).toBe('billing');
    expect((err as Error).message).toMatch(/^Cannot publish bill\.x through connection "billing": it has not connected yet/);
  });
});

describe('the connections option', () => {
  it('is checked at construction: names, a connection per entry, known keys', () => {
    expect(() =>
      validateOptions({ connections: { billing: { connection: { servers: 'nats://b:4222' }, critical: false, domain: 'hub' } } }, 'JetStreamClient'),
    ).not.toThrow();
    expect(() => validateOptions({ connections: { default: { connection: {} } } }, 'JetStreamClient')).toThrow(/is not "default"/);
    expect(() => validateOptions({ connections: { billing: {} } } as never, 'JetStreamClient')).toThrow(/connections\.billing\.connection is missing/);
    expect(() => validateOptions({ connections: { billing: { connection: {}, critcal: false } } } as never, 'JetStreamClient')).toThrow(/critcal/);
    expect(() => validateOptions({ connections: [] } as never, 'JetStreamClient')).toThrow(/must be an object of named connections/);
  });
});
