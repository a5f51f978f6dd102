import { join } from 'node:path';
import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import { NdjsonProcess, waitFor } from '@nest-jetstream/testing';
import { deleteConsumer, Harness, Probe } from '../__fixtures__/harness.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamTermError } from '../errors/handler.errors.js';
import type { JetStreamServer } from '../server/jetstream.server.js';
import type { StreamDeclaration } from '../interfaces/jetstream-options.interface.js';
import { advisoryStreamName } from './advisory-watcher.js';
import type { DeadLetterEvent, DeadLetterLostEvent } from '../events/settle.events.js';
import { DeadLetterHeaders, readDeadLetter } from './dead-letter-headers.js';
import { redriveDeadLetters } from './redrive.js';

const probe = new Probe<{ subject: string; delivery: number; seq: number; at: number; headers?: MsgHdrs }>();
const redrive = { succeed: false };

@Controller()
class DeadLetterController {
  @JetStreamEvent('dlt.work.fail', { maxDeliver: 2, backoff: ['150ms'], deadLetter: 'dlt.dead.fail' })
  fail(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    probe.add({ subject: ctx.getSubject(), delivery: ctx.getInfo().deliveryCount, seq: ctx.getInfo().streamSequence, at: Date.now() });
    throw new Error('always fails');
  }

  // No deadLetter of its own: the module default template applies.
  @JetStreamEvent('dlt.work.poison')
  poison() {
    throw new JetStreamTermError('poison order');
  }

  @JetStreamEvent('dlt.work.term')
  term(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    ctx.term('refused by the handler');
  }

  @JetStreamEvent('dlt.work.hang', { ackWait: '900ms', handlerTimeout: '1s', maxDeliver: 2, backoff: ['100ms'] })
  async hang(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    probe.add({ subject: ctx.getSubject(), delivery: ctx.getInfo().deliveryCount, seq: ctx.getInfo().streamSequence, at: Date.now() });
    await new Promise(() => undefined);
  }

  @JetStreamEvent('dlt.work.redrive', { maxDeliver: 1, deadLetter: 'dlt.dead.redrive' })
  redriven(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    probe.add({
      subject: ctx.getSubject(),
      delivery: ctx.getInfo().deliveryCount,
      seq: ctx.getInfo().streamSequence,
      at: Date.now(),
      headers: ctx.getHeaders(),
    });
    if (!redrive.succeed) throw new Error('not yet');
  }

  // An ordinary handler of a dead-letter subject.
  @JetStreamEvent('dlt.dead.fail', { deadLetter: false })
  onDeadLetter(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    const dl = readDeadLetter(ctx.getHeaders());
    probe.add({ subject: ctx.getSubject(), delivery: dl?.deliveries ?? -1, seq: dl?.sequence ?? -1, at: Date.now(), headers: ctx.getHeaders() });
  }

  @JetStreamEvent('dlt.work.nodead', { deadLetter: false, maxDeliver: 1 })
  noDeadLetter() {
    throw new Error('terminated, not dead-lettered');
  }
}

@Module({ controllers: [DeadLetterController] })
class DeadLetterModule {}

const SRC = 'DLT_SRC';
const DLQ = 'DLT_DEAD';
const streams: StreamDeclaration[] = [
  { name: SRC, subjects: ['dlt.work.>'] },
  { name: DLQ, subjects: ['dlt.dead.>'], maxAge: '30d' },
];

describe('dead letters (real nats-server)', () => {
  const h = new Harness();
  let strategy: JetStreamServer;
  const dead: DeadLetterEvent[] = [];
  const lost: DeadLetterLostEvent[] = [];

  const dlqMessages = async (subject: string) => {
    const out: { seq: number; data: Uint8Array; headers?: MsgHdrs; msgId?: string }[] = [];
    const info = await h.jsm.streams.info(DLQ);
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await h.jsm.streams.getMessage(DLQ, { seq }).catch(() => null);
      if (m && m.subject === subject) out.push({ seq, data: m.data, headers: m.header, msgId: m.header?.get('Nats-Msg-Id') });
    }
    return out;
  };
  const pending = async (durable: string) => {
    const ci = await h.jsm.consumers.info(SRC, durable);
    return ci.num_ack_pending + ci.num_pending;
  };

  beforeAll(async () => {
    await h.start();
    ({ strategy } = await h.app(DeadLetterModule, { serviceName: 'dlt', streams, deadLetter: 'dlt.dead.{subject}' }));
    strategy.on('deadLetter', (e) => dead.push(e));
    strategy.on('deadLetterLost', (e) => lost.push(e));
  });
  afterAll(() => h.stop());

  it('dead-letters a message whose last attempt fails: payload and headers kept, contract added, original settled', async () => {
    const hdrs = natsHeaders();
    hdrs.append('x-tenant', 'acme');
    hdrs.append('x-multi', 'one');
    hdrs.append('x-multi', 'two');
    const payload = new Uint8Array([123, 34, 105, 100, 34, 58, 49, 125]); // {"id":1}
    const { seq } = await h.js.publish('dlt.work.fail', payload, { headers: hdrs, msgID: 'order-1' });
    await waitFor('the dead letter', async () => (await dlqMessages('dlt.dead.fail')).length === 1);
    const [dl] = await dlqMessages('dlt.dead.fail');
    expect(dl.data).toEqual(payload);
    expect(dl.msgId).toBe(`dlq:${SRC}:${seq}`);
    expect(dl.headers?.get('x-tenant')).toBe('acme');
    expect(dl.headers?.values('x-multi')).toEqual(['one', 'two']);
    expect(readDeadLetter(dl.headers)).toMatchObject({
      subject: 'dlt.work.fail',
      stream: SRC,
      sequence: seq,
      consumer: 'dlt__dlt_work_fail',
      deliveries: 2,
      msgId: 'order-1',
    });
    expect(dl.headers?.get(DeadLetterHeaders.Reason)).toMatch(/last attempt \(2\/2\).*always fails/);
    // No hot loop: two deliveries, the second after the 150 ms backoff.
    const runs = probe.seen.filter((p) => p.seq === seq && p.subject === 'dlt.work.fail');
    expect(runs.map((r) => r.delivery)).toEqual([1, 2]);
    expect(runs[1].at - runs[0].at).toBeGreaterThanOrEqual(120);
    await waitFor('the original settled', async () => (await pending('dlt__dlt_work_fail')) === 0);
    expect(dead.find((e) => e.streamSequence === seq)).toMatchObject({ via: 'handler', exhausted: true, deadLetterStream: DLQ, duplicate: false });
    // A handler of the dead-letter subject gets it, with the contract readable.
    await waitFor('the dead-letter handler', () => probe.seen.find((p) => p.subject === 'dlt.dead.fail' && p.seq === seq));
    expect(probe.seen.find((p) => p.subject === 'dlt.dead.fail' && p.seq === seq)?.delivery).toBe(2);
  });

  it('dead-letters poison at once, with the module default template', async () => {
    const { seq } = await h.js.publish('dlt.work.poison', '{}');
    await waitFor('the dead letter', async () => (await dlqMessages('dlt.dead.dlt.work.poison')).length === 1);
    const [dl] = await dlqMessages('dlt.dead.dlt.work.poison');
    expect(readDeadLetter(dl.headers)).toMatchObject({ sequence: seq, deliveries: 1, reason: expect.stringMatching(/poison order/) });
  });

  it('dead-letters an undecodable payload and a ctx.term()', async () => {
    const bad = await h.js.publish('dlt.work.term', '{broken');
    const termed = await h.js.publish('dlt.work.term', '{"ok":true}');
    await waitFor('two dead letters', async () => (await dlqMessages('dlt.dead.dlt.work.term')).length === 2);
    const reasons = (await dlqMessages('dlt.dead.dlt.work.term')).map((m) => [readDeadLetter(m.headers)?.sequence, readDeadLetter(m.headers)?.reason]);
    expect(reasons).toEqual(
      expect.arrayContaining([
        [bad.seq, expect.stringMatching(/DecodeError/)],
        [termed.seq, 'refused by the handler'],
      ]),
    );
    // A decode failure's stack shows only the library's decode: none is published.
    const decoded = (await dlqMessages('dlt.dead.dlt.work.term')).find((m) => readDeadLetter(m.headers)?.sequence === bad.seq);
    expect(decoded?.headers?.has(DeadLetterHeaders.Stack)).toBe(false);
  });

  it('dead-letters a handler that hangs past ackWait on every attempt, once', async () => {
    const { seq } = await h.js.publish('dlt.work.hang', '{}');
    await waitFor('the dead letter', async () => (await dlqMessages('dlt.dead.dlt.work.hang')).length === 1, { timeout: 15_000 });
    expect(readDeadLetter((await dlqMessages('dlt.dead.dlt.work.hang'))[0].headers)?.reason).toMatch(/HandlerTimeoutError/);
    expect(probe.seen.filter((p) => p.seq === seq && p.subject === 'dlt.work.hang').map((p) => p.delivery)).toEqual([1, 2]);
    await waitFor('the original settled', async () => (await pending('dlt__dlt_work_hang')) === 0);
    // Both hung attempts still run (JavaScript cannot stop them), outside the consumer's concurrency: counted.
    expect(strategy.timedOutHandlers).toBe(2);
  });

  it('terminates without a dead letter when deadLetter: false', async () => {
    const { seq } = await h.js.publish('dlt.work.nodead', '{}');
    await waitFor('the term', async () => (await pending('dlt__dlt_work_nodead')) === 0);
    expect(dead.some((e) => e.streamSequence === seq)).toBe(false);
  });

  it('loses nothing while the dead-letter stream is gone for a while: dead-lettered once it is back', async () => {
    await h.jsm.streams.delete(DLQ);
    const { seq } = await h.js.publish('dlt.work.fail', '{"while":"down"}');
    // Both attempts fail, then the dead-letter publish fails: the message stays, naked.
    await waitFor('both attempts', () => probe.seen.filter((p) => p.seq === seq && p.subject === 'dlt.work.fail').length === 2);
    expect((await h.jsm.streams.getMessage(SRC, { seq }))?.json()).toEqual({ while: 'down' });
    await h.jsm.streams.add({ name: DLQ, subjects: ['dlt.dead.>'] });
    await waitFor('the dead letter after the stream came back', async () => (await dlqMessages('dlt.dead.fail')).length === 1, { timeout: 30_000 });
    expect(readDeadLetter((await dlqMessages('dlt.dead.fail'))[0].headers)?.sequence).toBe(seq);
    await waitFor('the original settled', async () => (await pending('dlt__dlt_work_fail')) === 0, { timeout: 20_000 });
  });

  it('dead-letters through the advisory safety net when the server gives up while the dead-letter stream is down', async () => {
    await h.jsm.streams.delete(DLQ);
    const { seq } = await h.js.publish('dlt.work.fail', '{"long":"outage"}');
    // maxDeliver 2 plus the extra deliveries, every one unable to dead-letter: then the server stops.
    await waitFor('the MAX_DELIVERIES advisory to be captured', async () => (await h.jsm.streams.info(advisoryStreamName('dlt'))).state.messages > 0, {
      timeout: 30_000,
    });
    await h.jsm.streams.add({ name: DLQ, subjects: ['dlt.dead.>'] });
    await waitFor('the dead letter via the advisory', () => dead.find((e) => e.streamSequence === seq && e.via === 'advisory'), { timeout: 30_000 });
    const all = (await dlqMessages('dlt.dead.fail')).filter((m) => readDeadLetter(m.headers)?.sequence === seq);
    expect(all).toHaveLength(1);
    expect(readDeadLetter(all[0].headers)?.reason).toMatch(/MAX_DELIVERIES/);
  });

  it('makes one dead letter when the advisory path fires for a message the handler path already dead-lettered', async () => {
    const { seq } = await h.js.publish('dlt.work.fail', '{"twice":true}');
    await waitFor('the in-process dead letter', () => dead.find((e) => e.streamSequence === seq));
    // The server's MAX_DELIVERIES advisory for the same message: this process knows it dead-lettered it.
    const advisory = { type: 'io.nats.jetstream.advisory.v1.max_deliver', stream: SRC, consumer: 'dlt__dlt_work_fail', stream_seq: seq, deliveries: 12 };
    await h.js.publish(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${SRC}.dlt__dlt_work_fail`, JSON.stringify(advisory));
    await waitFor('the advisory to be processed', async () => (await h.jsm.streams.info(advisoryStreamName('dlt'))).state.messages === 0);
    expect(dead.filter((e) => e.streamSequence === seq && e.via === 'advisory')).toEqual([]);
    const all = (await dlqMessages('dlt.dead.fail')).filter((m) => readDeadLetter(m.headers)?.sequence === seq);
    expect(all).toHaveLength(1);
    expect((await h.jsm.streams.info(advisoryStreamName('dlt'))).state.messages).toBe(0);
  });

  it('reports a message the advisory path can no longer fetch', async () => {
    const advisory = { type: 'io.nats.jetstream.advisory.v1.max_deliver', stream: SRC, consumer: 'dlt__dlt_work_fail', stream_seq: 999_999, deliveries: 12 };
    await h.js.publish(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${SRC}.dlt__dlt_work_fail`, JSON.stringify(advisory));
    await waitFor('the lost event', () => lost.find((l) => l.streamSequence === 999_999));
    expect(lost.find((l) => l.streamSequence === 999_999)?.why).toMatch(/no longer in its stream/);
  });

  it('puts the advisory consumer back when it is deleted while the app runs, and processes advisories again', async () => {
    const stream = advisoryStreamName('dlt');
    await deleteConsumer(h.jsm, stream, 'dead_letter_advisories');
    await waitFor('the advisory consumer to be back', () =>
      h.jsm.consumers.info(stream, 'dead_letter_advisories').then(
        () => true,
        () => false,
      ),
    );
    const advisory = { type: 'io.nats.jetstream.advisory.v1.max_deliver', stream: SRC, consumer: 'dlt__dlt_work_fail', stream_seq: 999_998, deliveries: 12 };
    await h.js.publish(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${SRC}.dlt__dlt_work_fail`, JSON.stringify(advisory));
    await waitFor('the advisory to be processed', () => lost.find((l) => l.streamSequence === 999_998));
    // Acked after the event (the ack is sent at the end of the turn, and the server removes it then): awaited, not read once.
    await waitFor('the advisory acked and gone from its stream', async () => (await h.jsm.streams.info(stream)).state.messages === 0);
  });

  it('redrives dead letters to their original subject with their original headers', async () => {
    const hdrs = natsHeaders();
    hdrs.append('x-trace', 't-1');
    const { seq } = await h.js.publish('dlt.work.redrive', '{"n":1}', { headers: hdrs, msgID: 'redrive-1' });
    await waitFor('the dead letter', async () => (await dlqMessages('dlt.dead.redrive')).length === 1);
    redrive.succeed = true;
    const result = await redriveDeadLetters(h.nc, { stream: DLQ, subject: 'dlt.work.redrive', limit: 10 });
    expect(result).toEqual({ redriven: 1, skipped: expect.any(Number) });
    await waitFor('the handler to get it again', () => probe.seen.find((p) => p.subject === 'dlt.work.redrive' && p.seq !== seq));
    const again = probe.seen.find((p) => p.subject === 'dlt.work.redrive' && p.seq !== seq)!;
    expect(again.headers?.get('x-trace')).toBe('t-1');
    expect([...(again.headers?.keys() ?? [])].filter((k) => k.startsWith('Dead-Letter-'))).toEqual([]);
    expect(await dlqMessages('dlt.dead.redrive')).toHaveLength(0);
    // A second redrive finds nothing left to do.
    expect((await redriveDeadLetters(h.nc, { stream: DLQ, subject: 'dlt.work.redrive' })).redriven).toBe(0);
  });

  it('redrives from the nest-jetstream-redrive command', async () => {
    redrive.succeed = false;
    const { seq } = await h.js.publish('dlt.work.redrive', '{"n":2}');
    await waitFor('the dead letter', async () => (await dlqMessages('dlt.dead.redrive')).length === 1);
    redrive.succeed = true;
    const cli = join(__dirname, '..', 'cli', 'redrive.cli.ts');
    const register = join(__dirname, '../../../../scripts/register.cjs');
    const run = NdjsonProcess.spawn(process.execPath, ['-r', register, cli, '--servers', h.server.url, '--stream', DLQ, '--subject', 'dlt.work.redrive']);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.stderr).toBe('');
    expect(run.lines).toEqual([expect.objectContaining({ redriven: 1 })]);
    await waitFor('the handler to get it again', () => probe.seen.filter((p) => p.subject === 'dlt.work.redrive' && p.seq > seq).length === 1);
    const usage = NdjsonProcess.spawn(process.execPath, ['-r', register, cli]);
    expect((await usage.exited).code).toBe(2);
    expect(usage.stderr).toMatch(/--stream is required/);
  });

  it('catches a consumer process SIGKILLed on its last attempt: exactly one dead letter', async () => {
    const child = join(__dirname, '..', '__fixtures__', 'crash-consumer.ts');
    const register = join(__dirname, '../../../../scripts/register.cjs');
    const runChild = () =>
      NdjsonProcess.spawn<{ event: string; delivery?: number; reason?: string }>(process.execPath, ['-r', register, child], {
        env: { ...process.env, NATS_URL: h.server.url },
      });
    const first = runChild();
    await first.waitForLine('the first consumer to be ready', (l) => l.event === 'ready', { timeout: 60_000 });
    const { seq } = await h.js.publish('dlt.work.crash', '{"crash":true}');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(first.lines.filter((l) => l.event === 'delivery').map((l) => l.delivery)).toEqual([1, 2]);
    const second = runChild();
    try {
      // The server may still hand deliveries to the killed process's open pull request until it
      // expires, so the delivery the next process settles is the third or a later one: the
      // guarantee is one dead letter, of a delivery past the last attempt, without a third run.
      await waitFor('the dead letter from the next process', async () => (await dlqMessages('dlt.dead.crash')).length === 1, { timeout: 40_000 });
      const [dl] = await dlqMessages('dlt.dead.crash');
      expect(readDeadLetter(dl.headers)).toMatchObject({ sequence: seq, reason: expect.stringMatching(/never settled/) });
      expect(readDeadLetter(dl.headers)?.deliveries).toBeGreaterThanOrEqual(3);
      // The handler never ran a third time.
      expect(second.lines.filter((l) => l.event === 'delivery')).toEqual([]);
    } finally {
      await second.kill();
    }
  });

  it('boots when no stream captures a dead-letter subject: create-or-update gives them a stream, verify says which', async () => {
    const options = { serviceName: 'dlt2', streams: [streams[0]], deadLetter: 'nowhere.{subject}', deadLetterAdvisories: false };
    const first = await h.app(DeadLetterModule, options);
    expect(first.strategy.missingDeadLetterSubjects).toEqual([]);
    expect((await h.jsm.streams.info('DLT2_DEAD_LETTERS')).config.subjects).toEqual(
      expect.arrayContaining(['nowhere.dlt.work.poison', 'nowhere.dlt.work.term']),
    );
    await h.closeApps();
    // Someone deletes the dead-letter stream the app does not declare; a least-privilege restart (verify) still boots, and says so.
    await h.jsm.streams.delete('DLT2_DEAD_LETTERS');
    const verifying = await h.app(DeadLetterModule, { ...options, provisioning: 'verify' });
    expect(verifying.strategy.missingDeadLetterSubjects).toEqual(expect.arrayContaining(['nowhere.dlt.work.poison', 'nowhere.dlt.work.term']));
    await h.closeApps();
    // create-or-update puts it back, and it really stores dead letters.
    await h.app(DeadLetterModule, options);
    const { seq } = await h.js.publish('dlt.work.poison', '{}');
    await waitFor('the dead letter in the stream made for it', async () => {
      const m = await h.jsm.streams.getMessage('DLT2_DEAD_LETTERS', { last_by_subj: 'nowhere.dlt.work.poison' }).catch(() => null);
      return m !== null && readDeadLetter(m.header)?.sequence === seq;
    });
    await h.closeApps();
    await h.jsm.streams.delete('DLT2_DEAD_LETTERS');
  });
});
