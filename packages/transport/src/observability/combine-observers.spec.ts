import type { ConsumeObserver, JetStreamInstrumentation } from './instrumentation.interface.js';
import { combineConsumeObservers } from './combine-observers.js';

describe('combined consume observers (metrics and tracing together)', () => {
  it('gives each its own token and nests run and within, the first outermost', () => {
    const calls: string[] = [];
    const observer = (name: string, hooks: boolean): ConsumeObserver => ({
      received: () => `${name}-token`,
      settled: (token, outcome) => calls.push(`${name} settled ${String(token)} ${outcome}`),
      ...(hooks
        ? {
            run: <T>(token: unknown, call: () => T): T => {
              calls.push(`${name} run ${String(token)}`);
              return call();
            },
            within: <T>(token: unknown, call: () => T): T => {
              calls.push(`${name} within ${String(token)}`);
              return call();
            },
          }
        : {}),
    });
    const list: JetStreamInstrumentation[] = [{ consume: observer('a', true) }, { consume: observer('b', false) }, { consume: observer('c', true) }];
    const combined = combineConsumeObservers(list)!;
    const tokens = combined.received({ subject: 's', stream: 'S', durable: 'd' }, {} as never);
    expect(combined.run!(tokens, () => 42)).toBe(42);
    expect(combined.within!(tokens, () => 'dl')).toBe('dl');
    combined.settled(tokens, 'ack');
    expect(calls).toEqual([
      'a run a-token',
      'c run c-token',
      'a within a-token',
      'c within c-token',
      'a settled a-token ack',
      'b settled b-token ack',
      'c settled c-token ack',
    ]);
  });

  it("makes a batch observation from each observer's own tokens of the batch's messages, runs nested (the first outermost), ends each", () => {
    const calls: string[] = [];
    const observer = (name: string, batch: boolean): ConsumeObserver => ({
      received: (_h, ctx) => `${name}-${String(ctx)}`,
      settled: () => undefined,
      ...(batch && {
        batch: (_h: unknown, tokens: readonly unknown[]) => ({
          run: <T>(call: () => T): T => {
            calls.push(`${name} run ${tokens.join(',')}`);
            return call();
          },
          ended: (error: unknown) => void calls.push(`${name} ended ${String(error)}`),
        }),
      }),
    });
    const combined = combineConsumeObservers([{ consume: observer('a', true) }, { consume: observer('b', false) }, { consume: observer('c', true) }])!;
    const handler = { subject: 's', stream: 'S', durable: 'd' };
    const tokens = [combined.received(handler, 'm1' as never), combined.received(handler, 'm2' as never)];
    const batch = combined.batch!(handler, tokens);
    expect(batch.run(() => 7)).toBe(7);
    batch.ended('boom');
    expect(calls).toEqual(['a run a-m1,a-m2', 'c run c-m1,c-m2', 'a ended boom', 'c ended boom']);
    expect(combineConsumeObservers([{ consume: observer('a', false) }, { consume: observer('b', false) }])!.batch).toBeUndefined();
  });

  it('is the one observer itself when only one instrumentation has one, and none when none has', () => {
    const only = { received: () => 1, settled: () => undefined };
    expect(combineConsumeObservers([{ consume: only }, {}])).toBe(only);
    expect(combineConsumeObservers([{}, {}])).toBeUndefined();
  });
});
