import { describeValue } from './describe-value.js';

describe('describeValue', () => {
  it('shows JSON, BigInts with an n, and what JSON cannot show', () => {
    expect(describeValue('verfiy')).toBe('"verfiy"');
    expect(describeValue({ a: [1, 2n] })).toBe('{"a":[1,"2n"]}');
    expect(describeValue(5n)).toBe('"5n"');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(Symbol('x'))).toBe('Symbol(x)');
  });
  it('never throws: cycles and objects without a prototype', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(describeValue(cycle)).toBe('[object Object]');
    const bare = Object.create(null) as Record<string, unknown>;
    expect(describeValue(bare)).toBe('{}');
    const bareCycle = Object.create(null) as Record<string, unknown>;
    bareCycle.self = bareCycle;
    expect(describeValue(bareCycle)).toBe('[object Object]');
  });
  it('cuts long values', () => {
    expect(describeValue('x'.repeat(500), 10)).toBe(`"${'x'.repeat(9)}…`);
  });
});
