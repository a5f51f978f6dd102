import type { ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { checkConsumers } from './consumers-check.js';
import type { HealthSettings } from './health-checks.js';
import type { HealthSource, NamedHandlersHealth } from './health-source.js';

const settings: HealthSettings = { timeoutMs: 1000, maxPending: 100, maxAgeMs: 60_000, storageUsageMax: 0.9, storageWrite: false, stream: 'H' };

/** One server's consumers API: answers only for the durables it holds (no stored message), and records what it was asked. */
function server(consumers: Record<string, number>): { jsm: JetStreamManager; asked: string[] } {
  const asked: string[] = [];
  const info = (stream: string, durable: string): Promise<ConsumerInfo> => {
    asked.push(`${stream}/${durable}`);
    const pending = consumers[`${stream}/${durable}`];
    if (pending === undefined) return Promise.reject(new Error(`consumer ${durable} not found on this server`));
    return Promise.resolve({
      num_pending: pending,
      num_ack_pending: 0,
      num_redelivered: 0,
      ack_floor: { stream_seq: 0 },
      config: {},
    } as unknown as ConsumerInfo);
  };
  const streams = { getMessage: () => Promise.resolve(null) };
  return { jsm: { consumers: { info }, streams } as unknown as JetStreamManager, asked };
}

function source(defaultJsm: JetStreamManager, named: NamedHandlersHealth[]): HealthSource {
  return {
    who: 'JetStreamServer',
    redact: (t) => t,
    serviceName: 'svc',
    provisioning: 'verify',
    connection: () => ({ nc: {} as NatsConnection, jsm: defaultJsm }),
    status: () => 'connected',
    closedReason: () => undefined,
    consumers: () => [
      { stream: 'ORDERS', durable: 'orders', subject: 'orders.created' },
      { stream: 'EU', durable: 'eu', subject: 'eu.created', connection: 'eu' },
    ],
    namedHandlers: () => named,
    streams: () => [],
    deadLetterSubjects: () => [],
    missingDeadLetterSubjects: () => [],
  };
}

describe('checkConsumers', () => {
  it('reads each consumer through the connection its handler is on', async () => {
    const main = server({ 'ORDERS/orders': 3 });
    const eu = server({ 'EU/eu': 7 });
    const result = await checkConsumers(source(main.jsm, [{ connection: 'eu', critical: true, jsm: eu.jsm, subjects: ['eu.created'] }]), settings);
    expect(result.message).toBeUndefined();
    expect(result.status).toBe('up');
    expect(result.details['ORDERS/orders']).toMatchObject({ pending: 3 });
    expect(result.details['EU/eu']).toMatchObject({ pending: 7 });
    expect(main.asked).toEqual(['ORDERS/orders']);
    expect(eu.asked).toEqual(['EU/eu']);
  });

  it('never reads a consumer of a named connection that is not up through the default one', async () => {
    const main = server({ 'ORDERS/orders': 3, 'EU/eu': 0 });
    const result = await checkConsumers(source(main.jsm, [{ connection: 'eu', critical: false, subjects: ['eu.created'] }]), settings);
    expect(main.asked).toEqual(['ORDERS/orders']);
    expect(result.message).toBeUndefined();
    expect(result.status).toBe('up');
    expect(result.details.degraded).toEqual([{ connection: 'eu', handlers: ['eu.created'] }]);
    expect(result.details['EU/eu']).toBeUndefined();
  });

  it('is down when a critical named connection is not up, naming it', async () => {
    const main = server({ 'ORDERS/orders': 0 });
    const result = await checkConsumers(source(main.jsm, [{ connection: 'eu', critical: true, subjects: ['eu.created'] }]), settings);
    expect(result.status).toBe('down');
    expect(result.message).toContain('critical connection "eu"');
    expect(main.asked).toEqual(['ORDERS/orders']);
  });
});
