import { JsonCodec } from './json.codec.js';

// What the default codec does with hostile payloads; the consumer turns any throw of decode() into
// a DecodeError and dead-letters the message (server/hostile-input.integration.spec.ts).
describe('JsonCodec with hostile input', () => {
  const codec = new JsonCodec();
  const enc = new TextEncoder();

  it('decodes JSON nested 100,000 levels deep (no recursion in JSON.parse)', () => {
    let v = codec.decode(enc.encode(`${'['.repeat(100_000)}${']'.repeat(100_000)}`));
    let depth = 0;
    while (Array.isArray(v)) {
      depth++;
      v = v[0];
    }
    expect(depth).toBe(100_000);
  });

  it('makes __proto__ an own property and leaves prototypes alone', () => {
    const v = codec.decode(enc.encode('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('throws on invalid UTF-8 and on text that is not JSON (the consumer dead-letters them)', () => {
    expect(() => codec.decode(Uint8Array.from([0x22, 0xc3, 0x28, 0x22]))).toThrow(/not valid for encoding utf-8/);
    expect(() => codec.decode(Uint8Array.from([0x22, 0xed, 0xa0, 0x80, 0x22]))).toThrow(/not valid for encoding utf-8/);
    expect(() => codec.decode(enc.encode('{"a": nope'))).toThrow(SyntaxError);
  });

  it('throws a RangeError encoding a value nested too deep (the client turns it into an EncodeError)', () => {
    let deep: unknown[] = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => codec.encode(deep)).toThrow(RangeError);
  });
});
