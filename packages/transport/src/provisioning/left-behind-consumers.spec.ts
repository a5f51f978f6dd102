import type { ConsumerConfig, ConsumerInfo } from '@nats-io/jetstream';
import { isLeftBehind, leftBehindMessage, type LeftBehindConsumer } from './left-behind-consumers.js';

const info = (name: string, config: Partial<ConsumerConfig> = { durable_name: name }): Pick<ConsumerInfo, 'name' | 'config'> => ({
  name,
  config: config as ConsumerConfig,
});

describe('isLeftBehind', () => {
  const owned = new Set(['ORDERS/billing__orders_created']);

  it('is a durable with the service prefix that no handler owns on that stream', () => {
    expect(isLeftBehind('ORDERS', info('billing__orders_renamed'), 'billing', owned)).toBe(true);
    // A handler's subject that moved to another stream leaves its durable on the old one.
    expect(isLeftBehind('OLD_ORDERS', info('billing__orders_created'), 'billing', owned)).toBe(true);
  });

  it("is never a handler's own durable", () => {
    expect(isLeftBehind('ORDERS', info('billing__orders_created'), 'billing', owned)).toBe(false);
  });

  it("is never another service's consumer, even one whose name starts like ours", () => {
    expect(isLeftBehind('ORDERS', info('shipping__orders_created'), 'billing', owned)).toBe(false);
    expect(isLeftBehind('ORDERS', info('billing_eu__orders_created'), 'billing', owned)).toBe(false);
    // Service "billing_" derives "billing___…", which starts with "billing__".
    expect(isLeftBehind('ORDERS', info('billing___orders_created'), 'billing', owned)).toBe(false);
    expect(isLeftBehind('ORDERS', info('billing__'), 'billing', owned)).toBe(false);
    expect(isLeftBehind('ORDERS', info('orders-worker'), 'billing', owned)).toBe(false);
  });

  it('is never a consumer the server removes by itself: per-instance consumers of live instances, replays, ephemerals', () => {
    const broadcastOfAnotherInstance = info('billing__orders_audit_k3j9x2aa', { durable_name: 'billing__orders_audit_k3j9x2aa', inactive_threshold: 60e9 });
    expect(isLeftBehind('ORDERS', broadcastOfAnotherInstance, 'billing', owned)).toBe(false);
    const ordered = info('billing__orders_log_k3j9x2aa_ABC_1', { name: 'billing__orders_log_k3j9x2aa_ABC_1', inactive_threshold: 60e9 });
    expect(isLeftBehind('ORDERS', ordered, 'billing', owned)).toBe(false);
    expect(isLeftBehind('ORDERS', info('billing__orders_x', { name: 'billing__orders_x' }), 'billing', owned)).toBe(false);
  });

  it('derives the prefix the way durables are derived (characters outside names become "_")', () => {
    expect(isLeftBehind('ORDERS', info('my-svc__orders_gone'), 'my-svc', new Set())).toBe(true);
  });
});

describe('leftBehindMessage', () => {
  const c: LeftBehindConsumer = {
    stream: 'ORDERS',
    consumer: 'billing__orders_gone',
    pending: 12,
    ackPending: 1,
    inUse: false,
    remove: 'nats consumer rm ORDERS billing__orders_gone',
  };

  it('names the consumer, what it holds, the command and the option', () => {
    const text = leftBehindMessage(c, 'billing', 'create-or-update', false);
    expect(text).toContain('Consumer ORDERS/billing__orders_gone');
    expect(text).toContain('12 pending and 1 unacknowledged');
    expect(text).toContain('Remove it with: nats consumer rm ORDERS billing__orders_gone');
    expect(text).toContain('pruneConsumers: true');
  });

  it('says that pruneConsumers does nothing outside create-or-update', () => {
    expect(leftBehindMessage(c, 'billing', 'verify', true)).toContain(
      "pruneConsumers removes such consumers only with provisioning 'create-or-update' (this service uses 'verify')",
    );
  });

  it('says when a client still pulls from it', () => {
    expect(leftBehindMessage({ ...c, inUse: true }, 'billing', 'create-or-update', true)).toContain('A client is pulling from it right now');
  });
});
