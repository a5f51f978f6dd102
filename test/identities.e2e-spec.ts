// The deploy identities are what the library computes from the example services today: a change
// to a service (a new handler, stream or published subject) that is not carried into
// deploy/nats/accounts.conf fails here, with the command that brings it up to date.
import { readFileSync } from 'node:fs';
import { NatsServer } from '@nest-jetstream/testing';
import { computeIdentities, renderAccountsConf } from '../examples/demo/identities';
import { ACCOUNTS_CONF } from '../examples/demo/write-accounts';

describe('deploy/nats/accounts.conf', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start();
  });
  afterAll(() => server?.stop());

  it('holds the permissions the library computes for each example service (else: npm run permissions -- --write)', async () => {
    const identities = await computeIdentities(server.url, 'consumer');
    expect(identities.map((i) => i.user)).toEqual(['orders-service', 'inventory-service']);
    // Each service's own durables, and nothing of the other's.
    const orders = identities[0].permissions.publish.allow;
    expect(orders).toContain('$JS.API.CONSUMER.MSG.NEXT.INVENTORY.orders__inventory_reserved');
    expect(orders.filter((s) => s.includes('inventory__'))).toEqual([]);
    expect(orders.filter((s) => /\.(CREATE|UPDATE|DELETE)\b/.test(s))).toEqual([]);
    expect(readFileSync(ACCOUNTS_CONF, 'utf8')).toBe(renderAccountsConf(identities));
  }, 60_000);
});
