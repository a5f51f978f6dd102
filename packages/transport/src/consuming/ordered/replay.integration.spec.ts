import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, Probe, uniqueName } from '../../__fixtures__/harness.js';
import type { JetStreamContext } from '../../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../../decorators/jetstream-event.decorator.js';
import type { JetStreamServer } from '../../server/jetstream.server.js';
import type { CheckpointQuery } from '../../interfaces/jetstream-options.interface.js';

const probe = new Probe<{ subject: string; n: number; seq: number }>();
const record = (data: { n: number }, ctx: JetStreamContext) => probe.add({ subject: ctx.getSubject(), n: data.n, seq: ctx.getInfo().streamSequence });

@Controller()
class CheckpointController {
  @JetStreamEvent('cp.ordered', { mode: 'ordered', deliverPolicy: 'all' })
  ordered(@Payload() data: { n: number }, @Ctx() ctx: JetStreamContext) {
    record(data, ctx);
  }

  @JetStreamEvent('cp.shared', { maxDeliver: 2, backoff: ['50ms'] })
  shared(@Payload() data: { n: number }, @Ctx() ctx: JetStreamContext) {
    if (data.n === 13) throw new Error('13 never works');
    record(data, ctx);
  }
}

@Module({ controllers: [CheckpointController] })
class CheckpointModule {}

const ns = (subject: string) => probe.seen.filter((s) => s.subject === subject).map((s) => s.n);

describe('checkpoints and replay (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('CP');
  let strategy: JetStreamServer;
  const asked: CheckpointQuery[] = [];
  const seqOf = new Map<string, number>();

  beforeAll(async () => {
    await h.start();
    await h.jsm.streams.add({ name: stream, subjects: ['cp.>'] });
    for (let n = 1; n <= 10; n++) seqOf.set(`cp.ordered#${n}`, (await h.js.publish('cp.ordered', JSON.stringify({ n }))).seq);
    for (let n = 11; n <= 14; n++) seqOf.set(`cp.shared#${n}`, (await h.js.publish('cp.shared', JSON.stringify({ n }))).seq);
    ({ strategy } = await h.app(CheckpointModule, {
      serviceName: 'cp-spec',
      // As an application would: the last sequence it committed, from its own database.
      checkpoints: (handler) => {
        asked.push(handler);
        return handler.subject === 'cp.ordered' ? { afterSequence: seqOf.get('cp.ordered#5')! } : undefined;
      },
    }));
  });
  afterAll(() => h.stop());

  it('starts an ordered handler right after the checkpoint the application gives', async () => {
    await waitFor('6 to 10', () => ns('cp.ordered').length >= 5);
    expect(ns('cp.ordered')).toEqual([6, 7, 8, 9, 10]);
    expect(asked.map((a) => `${a.subject}:${a.mode}`).sort()).toEqual(['cp.ordered:ordered', 'cp.shared:shared']);
  });

  it('replays a range through a handler without touching its durable consumer', async () => {
    await waitFor('the shared handler to catch up', () => ns('cp.shared').length >= 3);
    const durable = 'cp-spec__cp_shared';
    await waitFor('13 to be given up', async () => (await h.jsm.consumers.info(stream, durable)).num_ack_pending === 0, { timeout: 10_000 });
    const before = await h.jsm.consumers.info(stream, durable);
    const result = await strategy.replay('cp.shared', { from: seqOf.get('cp.shared#12')!, to: seqOf.get('cp.shared#14')! });
    expect(result.handled).toBe(2);
    expect(result.failed).toEqual([expect.objectContaining({ streamSequence: seqOf.get('cp.shared#13'), reason: expect.stringContaining('13 never works') })]);
    expect(result.lastSequence).toBe(seqOf.get('cp.shared#14'));
    expect(ns('cp.shared').slice(-2)).toEqual([12, 14]);
    const after = await h.jsm.consumers.info(stream, durable);
    expect(after.delivered.stream_seq).toBe(before.delivered.stream_seq);
    expect(after.num_redelivered).toBe(before.num_redelivered);
  });

  it('replays from a time to the end of the stream, and an empty range at once', async () => {
    const from = new Date();
    const seq = (await h.js.publish('cp.shared', JSON.stringify({ n: 15 }))).seq;
    await waitFor('15 handled live', () => ns('cp.shared').includes(15));
    const result = await strategy.replay('cp.shared', { from });
    expect(result).toEqual({ handled: 1, failed: [], lastSequence: seq });
    const empty = await strategy.replay('cp.shared', { from: seq + 1000 });
    expect(empty).toEqual({ handled: 0, failed: [], lastSequence: 0 });
  });

  it('says what is wrong with a replay it cannot do', async () => {
    await expect(strategy.replay('cp.nothing', { from: 1 })).rejects.toThrow(/no handler is bound to "cp.nothing".*"cp.ordered"/);
    await expect(strategy.replay('cp.shared', { from: 0 })).rejects.toThrow(/from must be a stream sequence ≥ 1 or a Date; got 0/);
    await expect(strategy.replay('cp.shared', { from: 1, filter: 'cp.ordered' })).rejects.toThrow(
      /filter "cp.ordered" is not covered by the handler's subject "cp.shared"/,
    );
  });
});
