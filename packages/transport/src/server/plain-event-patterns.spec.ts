import type { AppView } from './app-view.js';
import { plainEventVerdict } from './plain-event-patterns.js';

const app = (otherServers: string[], handlers = [{ handler: 'OrdersController.onCreated', pattern: 'orders.created' }]): AppView => ({
  jetStreamListening: () => false,
  otherServers: () => otherServers,
  plainEventHandlers: () => handlers,
});

describe('plainEventVerdict', () => {
  it('has nothing to say without plain @EventPattern handlers', () => {
    expect(plainEventVerdict([], app([]))).toBeUndefined();
    expect(plainEventVerdict([], undefined)).toBeUndefined();
  });

  it('refuses them in an app whose only server is JetStream, naming class, method and the fixes', () => {
    const verdict = plainEventVerdict(['orders.created'], app([]));
    expect(verdict?.level).toBe('error');
    expect(verdict?.message).toContain("OrdersController.onCreated (@EventPattern('orders.created'))");
    expect(verdict?.message).toMatch(/never run.*@JetStreamEvent\(subject\).*bindPlainEventPatterns: true.*Transport\.NATS/);
  });

  it('leaves them to another server of the app, at debug level', () => {
    expect(plainEventVerdict(['orders.created'], app(['ServerNats']))).toEqual({
      level: 'debug',
      message: "Plain @EventPattern handlers left to the app's other server(s) (ServerNats): OrdersController.onCreated (@EventPattern('orders.created'))",
    });
  });

  it('warns, naming the patterns, when it cannot see the app (no JetStreamModule)', () => {
    const verdict = plainEventVerdict(['orders.created', { cmd: 'x' }], undefined);
    expect(verdict?.level).toBe('warn');
    expect(verdict?.message).toContain(`@EventPattern('orders.created'), @EventPattern({"cmd":"x"})`);
    expect(verdict?.message).toMatch(/cannot tell whether another microservice.*JetStreamModule/);
  });
});
