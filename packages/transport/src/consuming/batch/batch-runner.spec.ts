import { waitFor } from '@nest-jetstream/testing';
import type { HandlerBinding } from '../../bindings/handler-binding.js';
import { startBatchRunner, type BatchHandler } from '../../__fixtures__/batch-runner-harness.js';
import { settlesOf } from '../../__fixtures__/fake-js-msg.js';
import { Deferred, flush } from '../../__fixtures__/fake-runner-host.js';

describe('BatchRunner (fake consumer, no server)', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  async function start(overrides: Partial<HandlerBinding>, handler: BatchHandler, batch = { size: 3, maxWaitMs: 60_000 }) {
    const started = await startBatchRunner(overrides, handler, batch);
    close = started.close;
    return started;
  }

  it('hands over a full batch of payloads with one context per message, and acks them all when it returns', async () => {
    const seen: unknown[][] = [];
    const { deliver } = await start({}, (items, ctx) => {
      seen.push(items);
      expect(ctx.messages.map((m) => m.getInfo().streamSequence)).toEqual([1, 2, 3]);
    });
    const msgs = [deliver(), deliver()];
    await flush();
    expect(seen).toEqual([]);
    msgs.push(deliver());
    await flush();
    expect(seen).toEqual([[{ n: 1 }, { n: 2 }, { n: 3 }]]);
    for (const m of msgs) expect(settlesOf(m)).toEqual([{ action: 'ack' }]);
  });

  it('hands over a partial batch once maxWait passed since its first message', async () => {
    const seen: unknown[][] = [];
    const { deliver } = await start({}, (items) => void seen.push(items), { size: 5, maxWaitMs: 50 });
    const first = deliver();
    deliver();
    await waitFor('the partial batch after maxWait', () => seen.length === 1, { timeout: 5_000 });
    expect(seen[0]).toHaveLength(2);
    await waitFor('the batch acked', () => settlesOf(first).length > 0);
    expect(settlesOf(first)).toEqual([{ action: 'ack' }]);
  });

  it('a throw naks each message with its own backoff, and dead-letters the one on its last attempt', async () => {
    const { deliver, host } = await start({ maxDeliver: 3, backoffMs: [100, 200], deadLetter: 'dlq.{subject}' }, () =>
      Promise.reject(new Error('bulk insert refused')),
    );
    const a = deliver({ deliveryCount: 1 });
    const b = deliver({ deliveryCount: 2 });
    const c = deliver({ deliveryCount: 3 });
    await waitFor('every message settled', () => [a, b, c].every((m) => settlesOf(m).length > 0));
    expect(settlesOf(a)).toEqual([{ action: 'nak', delay: 100 }]);
    expect(settlesOf(b)).toEqual([{ action: 'nak', delay: 200 }]);
    expect(settlesOf(c)).toEqual([{ action: 'term', reason: expect.stringContaining('dead-lettered') as string }]);
    expect(host.deadLettered.map((d) => d.seq)).toEqual([3]);
    expect(host.deadLettered[0].reason).toContain('bulk insert refused');
  });

  it("a message's own nak or term wins over the batch's outcome", async () => {
    const { deliver, host } = await start({ deadLetter: 'dlq.{subject}' }, (_items, ctx) => {
      ctx.messages[0].nak(5);
      ctx.messages[1].term('row rejected');
    });
    const [a, b, c] = [deliver(), deliver(), deliver()];
    await waitFor('every message settled', () => [a, b, c].every((m) => settlesOf(m).length > 0));
    expect(settlesOf(a)).toEqual([{ action: 'nak', delay: 5 }]);
    expect(settlesOf(b)).toEqual([{ action: 'term', reason: 'dead-lettered: row rejected' }]);
    expect(settlesOf(c)).toEqual([{ action: 'ack' }]);
    expect(host.deadLettered.map((d) => [d.seq, d.reason])).toEqual([[2, 'row rejected']]);
  });

  it('a message that does not decode is settled alone; the others still go to the handler', async () => {
    const seen: unknown[][] = [];
    const { deliver, host } = await start({}, (items) => void seen.push(items));
    const a = deliver();
    const bad = deliver({ data: new TextEncoder().encode('{not json') });
    const c = deliver();
    await waitFor('every message settled', () => [a, bad, c].every((m) => settlesOf(m).length > 0));
    expect(seen).toEqual([[{ n: 1 }, { n: 3 }]]);
    expect(settlesOf(bad)[0].action).toBe('term');
    expect(host.terminated.map((t) => t.seq)).toEqual([2]);
  });

  it('holds at most size messages: nothing more is requested while a full batch runs', async () => {
    const release = new Deferred();
    const { deliver, runner, consumer } = await start({}, () => release.promise);
    deliver();
    deliver();
    deliver();
    await flush();
    expect(runner.heldMessages).toBe(3);
    expect(consumer.messages.pending).toBe(0);
    release.resolve();
    await waitFor('the batch settled and a pull sent again', () => runner.heldMessages === 0 && consumer.messages.pending > 0);
  });

  it('close while a batch runs: waits for it (acked), naks what was gathered since', async () => {
    const release = new Deferred();
    const { deliver, runner } = await start({}, () => release.promise, { size: 2, maxWaitMs: 60_000 });
    const running = [deliver(), deliver()];
    await flush();
    const gathered = deliver();
    const closed = runner.close(5_000);
    await flush();
    expect(settlesOf(gathered)).toEqual([{ action: 'nak', delay: undefined }]);
    release.resolve();
    await closed;
    for (const m of running) expect(settlesOf(m)).toEqual([{ action: 'ack' }]);
  });

  it('close past shutdownTimeout: the running batch is naked, and its late return settles nothing', async () => {
    const release = new Deferred();
    const { deliver, runner } = await start({}, () => release.promise, { size: 2, maxWaitMs: 60_000 });
    const running = [deliver(), deliver()];
    await flush();
    await runner.close(10);
    release.resolve();
    await flush();
    for (const m of running) expect(settlesOf(m)).toEqual([{ action: 'nak', delay: 0 }]);
  });
});
