import { assertPrioritySupported, priorityConsumerFields, pullPriority, resolvePriority } from './priority-binding.js';
import { pinDetails, PinTracker } from './pin-tracker.js';
import type { UnresolvedBinding } from '../bindings/handler-binding.js';

const at = "@JetStreamEvent('ledger.entry')";

describe('priority groups of a handler (singleton, overflow)', () => {
  it('makes a singleton a pinned_client group with its takeover time', () => {
    const p = resolvePriority(at, { singleton: true }, 'shared');
    expect(p).toEqual({ policy: 'pinned_client', group: 'handlers', takeoverAfterMs: 30_000 });
    expect(priorityConsumerFields({ priority: p })).toEqual({
      priority_groups: ['handlers'],
      priority_policy: 'pinned_client',
      priority_timeout: 30_000_000_000,
    });
    expect(pullPriority({ priority: p })).toEqual({ group: 'handlers' });
    expect(resolvePriority(at, { singleton: { takeoverAfter: '12s' } }, 'shared')).toMatchObject({ takeoverAfterMs: 12_000 });
    expect(resolvePriority(at, { singleton: false }, 'shared')).toBeUndefined();
    expect(resolvePriority(at, {}, 'shared')).toBeUndefined();
  });

  it('gives the thresholds to a standby’s pulls only', () => {
    const primary = resolvePriority(at, { overflow: { minPending: 100 } }, 'shared');
    const standby = resolvePriority(at, { overflow: { minPending: 100, minAckPending: 5, standby: true } }, 'shared');
    expect(priorityConsumerFields({ priority: standby })).toEqual({ priority_groups: ['handlers'], priority_policy: 'overflow' });
    expect(pullPriority({ priority: primary })).toEqual({ group: 'handlers' });
    expect(pullPriority({ priority: standby })).toEqual({ group: 'handlers', min_pending: 100, min_ack_pending: 5 });
  });

  it('refuses what cannot work, naming the handler, the option and the fix', () => {
    expect(() => resolvePriority(at, { singleton: true, overflow: { minPending: 1 } }, 'shared')).toThrow(
      `${at}: singleton and overflow are two priority policies of one consumer; choose one.`,
    );
    expect(() => resolvePriority(at, { singleton: true }, 'push')).toThrow(`${at}: singleton needs mode 'shared'; mode 'push' is a push consumer`);
    expect(() => resolvePriority(at, { overflow: { minPending: 1 } }, 'broadcast')).toThrow("overflow needs mode 'shared'; mode 'broadcast'");
    expect(() => resolvePriority(at, { singleton: { takeoverAfter: '5s' } }, 'shared')).toThrow("singleton.takeoverAfter is 5000 ms; use at least '10s'");
    expect(() => resolvePriority(at, { overflow: { standby: true } }, 'shared')).toThrow('overflow needs a threshold');
  });

  it('stops the boot on a server older than 2.11', () => {
    const b = { subject: 'ledger.entry', priority: resolvePriority(at, { singleton: true }, 'shared') } as UnresolvedBinding;
    expect(() => assertPrioritySupported([b], '2.10.24')).toThrow(
      'Handler "ledger.entry" (singleton) needs singleton handlers (priority policy pinned_client), which arrived in nats-server 2.11.0; the connected server is 2.10.24.',
    );
    expect(() => assertPrioritySupported([b], '2.11.0')).not.toThrow();
  });

  it('says who holds the pin, from this instance’s pulls and the server’s consumer info', () => {
    const pin = new PinTracker();
    const info = (id?: string) => ({ priority_groups: [{ group: 'handlers', pinned_client_id: id, pinned_ts: id && '2026-12-07T00:00:00Z' }] });
    expect(pinDetails(pin.state, info())).toEqual({ holder: 'none' });
    expect(pinDetails(pin.state, info('X'))).toMatchObject({ holder: 'another instance', pinId: 'X' });
    pin.set('X');
    expect(pinDetails(pin.state, info('X'))).toMatchObject({ holder: 'this instance', pinId: 'X' });
    pin.set(undefined);
    expect(pin.state.held).toBe(false);
  });
});
