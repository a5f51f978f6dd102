import type { PermissionsPlan } from './compute-permissions.js';
import { computeConnectionPermissions, planByConnection } from './connection-permissions.js';

const plan: PermissionsPlan = {
  streams: ['ORDERS', 'EU_BILLING', 'SHARED'],
  consumers: [
    { stream: 'ORDERS', durable: 'svc__orders' },
    { stream: 'EU_BILLING', durable: 'svc__bill', connection: 'eu' },
    { stream: 'SHARED', durable: 'svc__shared_eu', connection: 'eu' },
    { stream: 'SHARED', durable: 'svc__shared', connection: 'default' },
  ],
  streamConnections: { AUDIT: 'eu' },
  deadLetterSubjects: ['dlq.orders'],
  deadLetterStreams: ['SVC_DEAD_LETTERS'],
  advisory: { stream: 'SVC_DLA', durable: 'dla', subjects: [] },
  publishes: ['orders.created'],
  leaderAdvisories: false,
};

describe('permissions per connection', () => {
  it('gives each connection the consumers, streams and publishes that go through it; the rest stays on the default one', () => {
    const plans = planByConnection(plan, { publishes: { eu: ['bill.>'] }, inboxPrefixes: { eu: '_INBOX_EU' } });
    expect([...plans.keys()]).toEqual(['default', 'eu']);
    const eu = plans.get('eu');
    expect(eu?.consumers.map((c) => c.durable)).toEqual(['svc__bill', 'svc__shared_eu']);
    expect(eu?.streams).toEqual(['EU_BILLING', 'SHARED']);
    expect(eu).toMatchObject({ publishes: ['bill.>'], deadLetterSubjects: [], inboxPrefix: '_INBOX_EU' });
    expect(eu?.advisory).toBeUndefined();
    const main = plans.get('default');
    expect(main?.consumers.map((c) => c.durable)).toEqual(['svc__orders', 'svc__shared']);
    expect(main?.streams).toEqual(['ORDERS', 'SHARED']);
    expect(main).toMatchObject({ publishes: ['orders.created'], deadLetterSubjects: ['dlq.orders'], advisory: { stream: 'SVC_DLA' } });
  });

  it("computes each identity's least privilege: nothing of one connection on the other's", () => {
    const perms = computeConnectionPermissions(plan, 'consumer', { publishes: { eu: ['bill.>'] } });
    expect(perms.eu.publish.allow).toEqual(expect.arrayContaining(['$JS.API.CONSUMER.MSG.NEXT.EU_BILLING.svc__bill', 'bill.>']));
    expect(perms.eu.publish.allow.filter((s) => /ORDERS|orders|dlq|SVC_/.test(s))).toEqual([]);
    expect(perms.default.publish.allow).toEqual(expect.arrayContaining(['$JS.API.CONSUMER.MSG.NEXT.ORDERS.svc__orders', 'orders.created', 'dlq.orders']));
    expect(perms.default.publish.allow.filter((s) => /EU_BILLING|bill|svc__shared_eu/.test(s))).toEqual([]);
    // A declared stream on a named connection: only its identity may create it.
    const admin = computeConnectionPermissions({ ...plan, streams: [...plan.streams, 'AUDIT'] }, 'admin');
    expect(admin.eu.publish.allow).toContain('$JS.API.STREAM.CREATE.AUDIT');
    expect(admin.default.publish.allow).not.toContain('$JS.API.STREAM.CREATE.AUDIT');
  });

  it("puts a named connection's dead letters and its safety net on that connection's identity only", () => {
    const split: PermissionsPlan = {
      ...plan,
      deadLetterSubjects: ['dlq.orders', 'dlq.bill'],
      deadLetterStreams: ['SVC_DEAD_LETTERS', 'EU_DEAD'],
      deadLettersByConnection: {
        default: { subjects: ['dlq.orders'], streams: ['SVC_DEAD_LETTERS'], advisory: plan.advisory },
        eu: { subjects: ['dlq.bill'], streams: ['EU_DEAD'], advisory: { stream: 'SVC_DLA', durable: 'dla', subjects: [] } },
      },
    };
    const plans = planByConnection(split);
    expect(plans.get('eu')).toMatchObject({ deadLetterSubjects: ['dlq.bill'], deadLetterStreams: ['EU_DEAD'], advisory: { stream: 'SVC_DLA' } });
    expect(plans.get('default')).toMatchObject({ deadLetterSubjects: ['dlq.orders'], deadLetterStreams: ['SVC_DEAD_LETTERS'] });
    const perms = computeConnectionPermissions(split, 'consumer');
    expect(perms.eu.publish.allow).toEqual(expect.arrayContaining(['dlq.bill', '$JS.API.STREAM.INFO.EU_DEAD', '$JS.API.CONSUMER.MSG.NEXT.SVC_DLA.dla']));
    expect(perms.default.publish.allow).not.toContain('dlq.bill');
  });
});
