import { computePermissions } from '../permissions/compute-permissions.js';
import { consumerControlRules } from './control-permissions.js';

describe('consumerControlRules', () => {
  const consumers = [
    { stream: 'ORDERS', durable: 'billing__orders_created', mode: 'shared' as const, singleton: true },
    { stream: 'ORDERS', durable: 'billing__orders_pushed', mode: 'push' as const },
    { stream: 'CACHE', durable: 'billing__cache_x_ab12cd34', mode: 'broadcast' as const },
  ];

  it('lets the admin pause the durables that can be paused and unpin singletons, and nobody pause a consumer per instance', () => {
    expect(consumerControlRules(consumers)).toEqual([
      '$JS.API.CONSUMER.PAUSE.ORDERS.billing__orders_created',
      '$JS.API.CONSUMER.UNPIN.ORDERS.billing__orders_created',
      '$JS.API.CONSUMER.PAUSE.ORDERS.billing__orders_pushed',
    ]);
    const plan = { streams: ['ORDERS', 'CACHE'], consumers, deadLetterSubjects: [], deadLetterStreams: [], publishes: [], leaderAdvisories: false };
    expect(computePermissions(plan, 'admin').publish.allow).toContain('$JS.API.CONSUMER.PAUSE.ORDERS.billing__orders_created');
    expect(computePermissions(plan, 'consumer').publish.allow.filter((s) => s.includes('PAUSE'))).toEqual([]);
  });
});
