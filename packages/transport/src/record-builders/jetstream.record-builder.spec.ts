import { JetStreamRecord, JetStreamRecordBuilder } from './jetstream.record-builder.js';

describe('JetStreamRecordBuilder', () => {
  it('builds a record with every per-publish option', () => {
    const record = new JetStreamRecordBuilder({ id: 1 })
      .setMsgId('order-1')
      .setHeaders({ 'x-tenant': 'acme' })
      .setExpect({ lastSequence: 7 })
      .setExpect({ stream: 'ORDERS' })
      .setTimeout('1s')
      .setRetryBudget('30s')
      .build();
    expect(record).toBeInstanceOf(JetStreamRecord);
    expect(record.data).toEqual({ id: 1 });
    expect(record.options).toEqual({
      msgId: 'order-1',
      headers: { 'x-tenant': 'acme' },
      expect: { lastSequence: 7, stream: 'ORDERS' },
      timeout: '1s',
      retryBudget: '30s',
    });
  });
});
