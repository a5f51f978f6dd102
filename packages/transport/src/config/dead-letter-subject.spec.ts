import { deadLetterProblem, renderDeadLetterSubject } from './dead-letter-subject.js';

describe('dead-letter subjects', () => {
  it('fills the template from the message', () => {
    expect(renderDeadLetterSubject('dlq.{stream}.{subject}', 'orders.created', 'ORDERS', 'svc__orders_created')).toBe('dlq.ORDERS.orders.created');
    expect(renderDeadLetterSubject('orders.deadletter', 'orders.created', 'ORDERS', 'd')).toBe('orders.deadletter');
  });
  it('rejects unknown placeholders and wildcards', () => {
    expect(deadLetterProblem('dlq.{nope}')).toMatch(/placeholder/);
    expect(deadLetterProblem('dlq.*')).toMatch(/wildcards/);
    expect(deadLetterProblem('dlq.{subject}')).toBeUndefined();
  });
});
