import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { waitFor } from '@nest-jetstream/testing';
import { jetstream, type JsMsg } from '@nats-io/jetstream';
import { Harness, uniqueName } from '../../__fixtures__/harness.js';
import { JetStreamEvent } from '../../decorators/jetstream-event.decorator.js';
import { DeadLetterHeaders } from '../../constants.js';
import type { JetStreamBatchContext } from './jetstream-batch.context.js';

// Batch handlers against a real server: batches of at most `size`, a partial batch after maxWait,
// a throw dead-letters each message on its own (its own headers), a per-message term wins over the
// batch's outcome, a batch past handlerTimeout is a failed attempt for each message (dead-lettered
// on its last), and closing while a batch runs loses nothing.

interface Item {
  n: number;
  fail?: boolean;
  term?: boolean;
  slow?: boolean;
}

const batches: { subject: string; seqs: number[] }[] = [];
const started: number[] = [];
/** The batch.hangs handler's calls: each hangs until the test ends. */
const hung: number[][] = [];
let releaseHung: () => void = () => undefined;
const hang = new Promise<void>((resolve) => (releaseHung = resolve));

@Controller()
class BatchController {
  @JetStreamEvent('batch.sized', { batch: { size: 10, maxWait: '1s' } })
  sized(@Payload() items: Item[], @Ctx() ctx: JetStreamBatchContext) {
    batches.push({ subject: 'sized', seqs: ctx.messages.map((m) => m.getInfo().streamSequence) });
    expect(items).toHaveLength(ctx.size);
  }

  @JetStreamEvent('batch.partial', { batch: { size: 50, maxWait: '300ms' } })
  partial(@Payload() _items: Item[], @Ctx() ctx: JetStreamBatchContext) {
    batches.push({ subject: 'partial', seqs: ctx.messages.map((m) => m.getInfo().streamSequence) });
  }

  @JetStreamEvent('batch.throws', { batch: { size: 5, maxWait: '200ms' }, maxDeliver: 2, backoff: ['100ms'] })
  throws(@Payload() items: Item[]) {
    if (items.some((i) => i.fail)) throw new Error('bulk insert refused');
  }

  @JetStreamEvent('batch.term', { batch: { size: 5, maxWait: '200ms' } })
  term(@Payload() items: Item[], @Ctx() ctx: JetStreamBatchContext) {
    items.forEach((item, i) => item.term && ctx.messages[i].term('row rejected'));
    batches.push({ subject: 'term', seqs: ctx.messages.map((m) => m.getInfo().streamSequence) });
  }

  @JetStreamEvent('batch.hangs', { batch: { size: 2, maxWait: '200ms' }, maxDeliver: 2, backoff: ['50ms'], handlerTimeout: '300ms' })
  async hangs(@Payload() _items: Item[], @Ctx() ctx: JetStreamBatchContext) {
    hung.push(ctx.messages.map((m) => m.getInfo().streamSequence));
    await hang;
  }

  @JetStreamEvent('batch.slow', { batch: { size: 5, maxWait: '200ms' } })
  async slow(@Payload() _items: Item[], @Ctx() ctx: JetStreamBatchContext) {
    started.push(...ctx.messages.map((m) => m.getInfo().streamSequence));
    await new Promise((resolve) => setTimeout(resolve, 300));
    batches.push({ subject: 'slow', seqs: ctx.messages.map((m) => m.getInfo().streamSequence) });
  }
}

@Module({ controllers: [BatchController] })
class BatchModule {}

describe('batch handlers (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('BATCH');
  const dlq = uniqueName('BATCHDLQ');
  const options = { serviceName: 'batch-spec', deadLetter: 'batchdlq.{subject}' };
  const seqsOf = (subject: string) => batches.filter((b) => b.subject === subject).flatMap((b) => b.seqs);
  const publish = async (subject: string, items: Item[]) => {
    const seqs: number[] = [];
    for (const item of items) seqs.push((await h.js.publish(subject, JSON.stringify(item))).seq);
    return seqs;
  };
  const deadLetters = async (subject: string, count: number): Promise<JsMsg[]> => {
    await waitFor(
      `${count} dead letter(s) of ${subject}`,
      async () => (await h.jsm.streams.info(dlq, { subjects_filter: `batchdlq.${subject}` })).state.subjects?.[`batchdlq.${subject}`] === count,
    );
    const consumer = await jetstream(h.nc).consumers.get(dlq, { filter_subjects: `batchdlq.${subject}` });
    const got: JsMsg[] = [];
    for await (const m of await consumer.fetch({ max_messages: count, expires: 5000 })) got.push(m);
    return got;
  };

  beforeAll(async () => {
    await h.start();
    await h.jsm.streams.add({ name: stream, subjects: ['batch.>'] });
    await h.jsm.streams.add({ name: dlq, subjects: ['batchdlq.>'] });
  });
  afterAll(() => h.stop());

  it('hands over batches of at most size, all messages once, from a backlog', async () => {
    const seqs = await publish(
      'batch.sized',
      Array.from({ length: 20 }, (_, n) => ({ n })),
    );
    await h.app(BatchModule, options);
    await waitFor('20 messages handled in batches', () => seqsOf('sized').length >= 20, { timeout: 30_000 });
    expect(seqsOf('sized').sort((a, b) => a - b)).toEqual(seqs);
    for (const b of batches.filter((x) => x.subject === 'sized')) expect(b.seqs.length).toBeLessThanOrEqual(10);
    await waitFor('nothing pending', async () => (await h.jsm.consumers.info(stream, 'batch-spec__batch_sized')).num_ack_pending === 0);
  });

  it('hands over a partial batch once maxWait passed since its first message', async () => {
    const seqs = await publish('batch.partial', [{ n: 1 }, { n: 2 }, { n: 3 }]);
    await waitFor('3 messages handled', () => seqsOf('partial').length === 3, { timeout: 20_000 });
    expect(seqsOf('partial').sort((a, b) => a - b)).toEqual(seqs);
    for (const b of batches.filter((x) => x.subject === 'partial')) expect(b.seqs.length).toBeLessThan(50);
  });

  it('a throw naks every message, then dead-letters each on its last attempt with its own headers', async () => {
    const seqs = await publish('batch.throws', [{ n: 1, fail: true }, { n: 2 }, { n: 3 }]);
    const letters = await deadLetters('batch.throws', 3);
    expect(letters.map((m) => Number(m.headers!.get(DeadLetterHeaders.Sequence))).sort((a, b) => a - b)).toEqual(seqs);
    for (const m of letters) {
      expect(m.headers!.get(DeadLetterHeaders.Deliveries)).toBe('2');
      expect(m.headers!.get(DeadLetterHeaders.Reason)).toContain('bulk insert refused');
    }
    await waitFor('nothing pending', async () => (await h.jsm.consumers.info(stream, 'batch-spec__batch_throws')).num_ack_pending === 0);
  });

  it("a message's own term wins over the batch's return: it alone is dead-lettered, the rest acked", async () => {
    const seqs = await publish('batch.term', [{ n: 1 }, { n: 2, term: true }, { n: 3 }]);
    const [letter] = await deadLetters('batch.term', 1);
    expect(Number(letter.headers!.get(DeadLetterHeaders.Sequence))).toBe(seqs[1]);
    expect(letter.headers!.get(DeadLetterHeaders.Reason)).toContain('row rejected');
    await waitFor('nothing pending', async () => {
      const info = await h.jsm.consumers.info(stream, 'batch-spec__batch_term');
      return info.num_ack_pending === 0 && info.num_pending === 0 && info.num_redelivered === 0;
    });
  });

  it('a batch past handlerTimeout is retried, then each message is dead-lettered with the timeout as its reason', async () => {
    const seqs = await publish('batch.hangs', [{ n: 1 }, { n: 2 }]);
    const letters = await deadLetters('batch.hangs', 2);
    expect(letters.map((m) => Number(m.headers!.get(DeadLetterHeaders.Sequence))).sort((a, b) => a - b)).toEqual(seqs);
    for (const m of letters) {
      expect(m.headers!.get(DeadLetterHeaders.Deliveries)).toBe('2');
      expect(m.headers!.get(DeadLetterHeaders.Reason)).toContain('ran longer than handlerTimeout 300 ms');
    }
    // Each attempt was a call of the handler: two deliveries of the same messages.
    expect(hung.flat().filter((s) => s === seqs[0]).length).toBeGreaterThanOrEqual(2);
    releaseHung();
    await waitFor('nothing pending', async () => (await h.jsm.consumers.info(stream, 'batch-spec__batch_hangs')).num_ack_pending === 0);
  });

  it('closing while a batch runs loses nothing: the running batch settles, what was gathered comes back', async () => {
    await h.closeApps();
    await h.app(BatchModule, options);
    const seqs = await publish(
      'batch.slow',
      Array.from({ length: 15 }, (_, n) => ({ n })),
    );
    await waitFor('a batch started', () => started.length > 0);
    await h.closeApps();
    await h.app(BatchModule, options);
    await waitFor('every message handled', () => seqs.every((s) => seqsOf('slow').includes(s)), { timeout: 30_000 });
    await waitFor('nothing pending', async () => {
      const info = await h.jsm.consumers.info(stream, 'batch-spec__batch_slow');
      return info.num_ack_pending === 0 && info.num_pending === 0;
    });
  });
});
