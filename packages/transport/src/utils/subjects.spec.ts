import { deriveDurableName, nameProblem, subjectMatches, subjectProblem, subjectsOverlap } from './subjects.js';

describe('subjects', () => {
  it.each([
    ['orders.>', 'orders.created', true],
    ['orders.>', 'orders.a.b', true],
    ['orders.>', 'orders', false],
    ['orders.*', 'orders.created', true],
    ['orders.*', 'orders.a.b', false],
    ['orders.*', 'orders.*', true],
    ['orders.created', 'orders.*', false],
    ['orders.>', 'orders.*.x', true],
    ['a.b', 'a.b', true],
  ])('filter %s captures %s: %s', (filter, subject, expected) => {
    expect(subjectMatches(filter, subject)).toBe(expected);
  });

  it.each([
    ['a.>', 'a.b', true],
    ['a.*', 'a.b.c', false],
    ['a.*.c', 'a.b.*', true],
    ['a.b', 'a.c', false],
    ['>', 'x.y', true],
  ])('%s overlaps %s: %s', (a, b, expected) => {
    expect(subjectsOverlap(a, b)).toBe(expected);
    expect(subjectsOverlap(b, a)).toBe(expected);
  });

  it('explains invalid subjects and names', () => {
    expect(subjectProblem('a..b')).toMatch(/empty token/);
    expect(subjectProblem('a.>.b')).toMatch(/last token/);
    expect(subjectProblem('a.b*')).toMatch(/mixes a wildcard/);
    expect(subjectProblem('a.*', false)).toMatch(/wildcards are not allowed/);
    expect(subjectProblem('orders.created')).toBeUndefined();
    expect(nameProblem('ORDERS.V1')).toMatch(/contains/);
    expect(nameProblem('ORDERS_V1')).toBeUndefined();
  });

  it.each([
    ['orders created', /white space/],
    ['orders.\tx', /white space or a control character/],
    ['orders.a\r\nPUB x 1', /control character/],
    ['orders.\x00', /control character/],
    ['orders.\x7f', /control character/],
    ['orders.\x1b[31m', /control character/],
    ['orders.\u00a0', /white space/],
    ['.orders', /empty token/],
    ['orders.', /empty token/],
    ['', /empty/],
    [`orders.${'x'.repeat(3840)}`, /3847 bytes long, over the 3840/],
    [`orders.${'é'.repeat(1920)}`, /3847 bytes long/],
  ])('refuses %j', (subject, why) => {
    expect(subjectProblem(subject)).toMatch(why);
    expect(subjectProblem(subject, false)).toMatch(why);
  });

  it('refuses wildcards only where a concrete subject is needed, and accepts what the server takes', () => {
    expect(subjectProblem('orders.*', false)).toMatch(/wildcards/);
    expect(subjectProblem('orders.>', false)).toMatch(/wildcards/);
    expect(subjectProblem('orders.*')).toBeUndefined();
    expect(subjectProblem(`orders.${'x'.repeat(3833)}`, false)).toBeUndefined();
    expect(subjectProblem('commandes.créées', false)).toBeUndefined();
  });

  it('derives stable, valid durable names', () => {
    expect(deriveDurableName('billing', 'orders.*.created')).toBe('billing__orders_star_created');
    expect(deriveDurableName('billing', 'orders.>')).toBe('billing__orders_all');
    expect(deriveDurableName('my.svc', 'a.b')).toBe('my_svc__a_b');
    expect(nameProblem(deriveDurableName('x y', 'a:b.c'))).toBeUndefined();
  });
});
