import { deliveryCountOf } from './delivery-count.js';

describe('deliveryCountOf', () => {
  it('reads the old 9-token form', () => {
    expect(deliveryCountOf('$JS.ACK.ORDERS.svc__orders_created.3.17.12.1700000000000000000.0')).toBe(3);
  });
  it('reads the form with domain, account hash and a trailing token', () => {
    expect(deliveryCountOf('$JS.ACK._.AbCd.ORDERS.dur.12.100.99.1700000000000000000.5.XyZ')).toBe(12);
    expect(deliveryCountOf('$JS.ACK.hub.AbCd.ORDERS.dur.1.100.99.1700000000000000000.5')).toBe(1);
  });
  it('is NaN for anything else', () => {
    expect(deliveryCountOf('_INBOX.abc')).toBeNaN();
    expect(deliveryCountOf('$JS.ACK.short')).toBeNaN();
  });
});
