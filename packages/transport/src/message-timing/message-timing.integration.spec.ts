// Which cases run depends on the nats-server under test (NATS_SERVER_VERSION): a feature the
// server has is exercised; on a server without it, the error the library gives instead is.
import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { PubAck } from '@nats-io/jetstream';
import { lastValueFrom } from 'rxjs';
import { natsServerBinaryVersion, resolveNatsServerBinary, waitFor } from '@nest-jetstream/testing';
import { Probe, harnessWithClient, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { ProvisioningError } from '../errors/provisioning.error.js';
import { PublishOptionUnsupportedError } from '../errors/publish-option-unsupported.error.js';
import { JetStreamRecordBuilder } from '../record-builders/jetstream.record-builder.js';
import { versionAtLeast } from '../utils/server-version.js';
import { MESSAGE_SCHEDULES_MIN_SERVER, MESSAGE_TTL_MIN_SERVER } from './timing-options.js';

const version = natsServerBinaryVersion(resolveNatsServerBinary());
const ttlHere = versionAtLeast(version, MESSAGE_TTL_MIN_SERVER);
const schedulesHere = versionAtLeast(version, MESSAGE_SCHEDULES_MIN_SERVER);

interface Seen {
  kind: string;
  seq: number;
  scheduler?: string;
}
const probe = new Probe<Seen>();

@Controller()
class ReminderController {
  @JetStreamEvent('timing.reminder')
  reminder(@Payload() data: { kind: string }, @Ctx() ctx: JetStreamContext) {
    probe.add({ kind: data.kind, seq: ctx.getInfo().streamSequence, scheduler: ctx.getHeader('Nats-Scheduler') });
  }
}

@Module({ controllers: [ReminderController] })
class ReminderModule {}

describe(`per-message TTL and scheduled delivery on nats-server ${version}`, () => {
  const spec = harnessWithClient();
  const { h } = spec;

  /** Runs `fn` and returns the JetStream stream API requests (lookups, infos) made meanwhile, by anyone. */
  async function streamApiCalls<T>(fn: () => Promise<T>): Promise<{ result: T; calls: string[] }> {
    const calls: string[] = [];
    const sub = h.nc.subscribe('$JS.API.STREAM.>', { callback: (_err, msg) => void calls.push(msg.subject) });
    await h.nc.flush();
    try {
      const result = await fn();
      await h.nc.flush(); // requests made before fn resolved reach this subscription before the flush's reply
      return { result, calls };
    } finally {
      sub.unsubscribe();
    }
  }

  const messagesIn = async (stream: string) => (await h.jsm.streams.info(stream)).state.messages;

  if (ttlHere) {
    describe(`per-message TTL (nats-server ${MESSAGE_TTL_MIN_SERVER}+)`, () => {
      it('declaring allowMsgTtl creates the stream with it; a message with a short ttl is stored, then gone, one without stays', async () => {
        const stream = uniqueName('TTL');
        const publisher = new JetStreamClient({ connection: { servers: h.server.url }, streams: [{ name: stream, subjects: ['ttl.>'], allowMsgTtl: true }] });
        try {
          await publisher.connect();
          expect((await h.jsm.streams.info(stream)).config.allow_msg_ttl).toBe(true);
          const short = await lastValueFrom(publisher.emit<PubAck>('ttl.short', new JetStreamRecordBuilder({ n: 1 }).setTtl('1s').build()));
          const kept = await publisher.publish('ttl.kept', { n: 2 });
          expect((await h.jsm.streams.getMessage(stream, { seq: short.seq }))?.header?.get('Nats-TTL')).toBe('1s');
          await waitFor('the message published with ttl 1s to expire', async () => (await h.jsm.streams.getMessage(stream, { seq: short.seq })) === null);
          expect((await h.jsm.streams.getMessage(stream, { seq: kept.seq }))?.json()).toEqual({ n: 2 });
        } finally {
          await publisher.close();
        }
      });

      it('reads a stream once for all its subjects (matched locally, 200 publishes in flight), and a publish without ttl pays nothing: no lookup, no header', async () => {
        const stream = uniqueName('TTLCOST');
        await h.jsm.streams.add({ name: stream, subjects: ['ttlcost.*.a', 'ttlcost.y.z.>'], allow_msg_ttl: true });
        const timed = await streamApiCalls(async () => {
          // All in flight at once on a cold cache: they wait for the one read.
          await Promise.all(Array.from({ length: 200 }, (_, i) => spec.client.publish(`ttlcost.${i}.a`, i, { ttl: '1m' })));
          await spec.client.publish('ttlcost.y.z.1', 1, { ttl: '1m' });
        });
        expect(timed.calls.filter((s) => s.startsWith('$JS.API.STREAM.NAMES'))).toHaveLength(1);
        expect(timed.calls).toEqual([expect.stringMatching(/^\$JS\.API\.STREAM\.NAMES/), `$JS.API.STREAM.INFO.${stream}`]);
        expect(await messagesIn(stream)).toBe(201);
        const plain = await streamApiCalls(() => spec.client.publish('ttlcost.b.a', 3));
        expect(plain.calls).toEqual([]);
        const stored = await h.jsm.streams.getMessage(stream, { seq: plain.result.seq });
        expect([...(stored?.header?.keys() ?? [])]).toEqual(['Nats-Msg-Id']);
      });

      it('a stream whose subjects change after it was read: a new subject is looked up, a subject moved to a stream without allow_msg_ttl gets the typed error naming it', async () => {
        const stream = uniqueName('TTLMOVE');
        const other = uniqueName('TTLOTHER');
        await h.jsm.streams.add({ name: stream, subjects: ['ttlmove.a.>'], allow_msg_ttl: true });
        await spec.client.publish('ttlmove.a.1', 1, { ttl: '1m' });
        // A subject added on the server: no cached stream matches it, so it is looked up.
        await h.jsm.streams.update(stream, { subjects: ['ttlmove.a.>', 'ttlmove.b.>'] });
        const added = await streamApiCalls(() => spec.client.publish('ttlmove.b.1', 2, { ttl: '1m' }));
        expect(added.calls.filter((s) => s.startsWith('$JS.API.STREAM.NAMES'))).toHaveLength(1);
        expect(added.result.stream).toBe(stream);
        // ttlmove.b.> moves to a stream without allow_msg_ttl: the cache still says `stream`, the server refuses, the library reads again.
        await h.jsm.streams.update(stream, { subjects: ['ttlmove.a.>'] });
        await h.jsm.streams.add({ name: other, subjects: ['ttlmove.b.>'] });
        await expect(spec.client.publish('ttlmove.b.2', 3, { ttl: '1m' })).rejects.toMatchObject({
          code: 'PUBLISH_OPTION_UNSUPPORTED',
          subject: 'ttlmove.b.2',
          stream: other,
          setting: 'allow_msg_ttl',
        });
        expect(await messagesIn(other)).toBe(0);
        await expect(spec.client.publish('ttlmove.a.2', 4, { ttl: '1m' })).resolves.toMatchObject({ stream });
      });

      it('allow_msg_ttl turned on after a refusal: the next publish reads the stream again and goes through', async () => {
        const stream = uniqueName('TTLON');
        await h.jsm.streams.add({ name: stream, subjects: ['ttlon.>'] });
        await expect(spec.client.publish('ttlon.a', 1, { ttl: '1m' })).rejects.toMatchObject({ code: 'PUBLISH_OPTION_UNSUPPORTED', stream });
        await h.jsm.streams.update(stream, { subjects: ['ttlon.>'], allow_msg_ttl: true });
        const ack = await spec.client.publish('ttlon.b', 2, { ttl: '1m' });
        expect((await h.jsm.streams.getMessage(stream, { seq: ack.seq }))?.header?.get('Nats-TTL')).toBe('60s');
      });

      it('a stream without allow_msg_ttl: PublishOptionUnsupportedError naming subject, stream and setting; nothing stored', async () => {
        const stream = uniqueName('NOTTL');
        await h.jsm.streams.add({ name: stream, subjects: ['nottl.>'] });
        const err = await spec.client.publish('nottl.a', { n: 1 }, { ttl: '5s' }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(PublishOptionUnsupportedError);
        expect(err).toMatchObject({
          name: 'PublishOptionUnsupportedError',
          code: 'PUBLISH_OPTION_UNSUPPORTED',
          subject: 'nottl.a',
          option: 'ttl',
          stream,
          setting: 'allow_msg_ttl',
        });
        expect((err as Error).message).toContain(`stream ${stream} does not allow per-message TTL`);
        expect((err as Error).message).toContain('allowMsgTtl: true');
        expect(await messagesIn(stream)).toBe(0);
      });

      it('a stream recreated without allow_msg_ttl after it was looked up: the server refuses, the stream is read again, the typed error', async () => {
        const stream = uniqueName('TTLGONE');
        await h.jsm.streams.add({ name: stream, subjects: ['ttlgone.>'], allow_msg_ttl: true });
        await spec.client.publish('ttlgone.a', 1, { ttl: '1m' });
        await h.jsm.streams.delete(stream);
        await h.jsm.streams.add({ name: stream, subjects: ['ttlgone.>'] });
        await expect(spec.client.publish('ttlgone.a', 2, { ttl: '1m' })).rejects.toMatchObject({
          code: 'PUBLISH_OPTION_UNSUPPORTED',
          stream,
          setting: 'allow_msg_ttl',
        });
        expect(await messagesIn(stream)).toBe(0);
      });
    });
  } else {
    describe(`per-message TTL needs nats-server ${MESSAGE_TTL_MIN_SERVER}, this one is ${version} (it would store the message and ignore the TTL): the errors instead`, () => {
      it('a publish with ttl is refused before anything is sent, naming the server version and the minimum', async () => {
        const stream = uniqueName('OLDTTL');
        await h.jsm.streams.add({ name: stream, subjects: ['oldttl.>'] });
        const { result: err, calls } = await streamApiCalls(() => spec.client.publish('oldttl.a', { n: 1 }, { ttl: '5s' }).catch((e: unknown) => e));
        expect(err).toBeInstanceOf(PublishOptionUnsupportedError);
        expect(err).toMatchObject({ code: 'PUBLISH_OPTION_UNSUPPORTED', option: 'ttl', serverVersion: version, minServerVersion: MESSAGE_TTL_MIN_SERVER });
        expect((err as Error).message).toContain(`nats-server ${version} has no per-message TTL: it needs nats-server ${MESSAGE_TTL_MIN_SERVER} or newer`);
        expect(calls).toEqual([]);
        expect(await messagesIn(stream)).toBe(0);
      });

      it('a declared stream with allowMsgTtl fails boot of a client and of a server, naming stream, setting, version and minimum', async () => {
        const stream = uniqueName('OLDDECL');
        const streams = [{ name: stream, subjects: ['olddecl.>'], allowMsgTtl: true }];
        const publisher = new JetStreamClient({ connection: { servers: h.server.url }, streams });
        const err = await publisher.connect().catch((e: unknown) => e);
        await publisher.close();
        expect(err).toBeInstanceOf(ProvisioningError);
        const text = `stream ${stream}: allowMsgTtl (allow_msg_ttl, per-message TTL) needs nats-server ${MESSAGE_TTL_MIN_SERVER} or newer`;
        expect((err as Error).message).toContain(`nats-server ${version} cannot provide`);
        expect((err as Error).message).toContain(text);
        await expect(h.app(ReminderModule, { serviceName: 'timing', streams })).rejects.toThrow(text);
        await h.closeApps();
        await expect(h.jsm.streams.info(stream)).rejects.toThrow(/stream not found/);
      });
    });
  }

  if (schedulesHere) {
    describe(`scheduled delivery (nats-server ${MESSAGE_SCHEDULES_MIN_SERVER}+)`, () => {
      it('a delayed message reaches the handler after a message published later, as a new message, and its schedule is gone', async () => {
        const stream = uniqueName('SCHED');
        await h.app(ReminderModule, { serviceName: 'timing', streams: [{ name: stream, subjects: ['timing.>'], allowMsgSchedules: true }] });
        expect((await h.jsm.streams.info(stream)).config).toMatchObject({ allow_msg_schedules: true, subjects: ['timing.>', `_sched.${stream}.>`] });
        const schedule = await spec.client.publish('timing.reminder', { kind: 'delayed' }, { delay: '3s' });
        await spec.client.publish('timing.reminder', { kind: 'now' });
        await waitFor('the delayed message to reach the handler', () => probe.count((s) => s.kind === 'delayed') > 0);
        // Events, not timings: the handler saw the later message first; the delayed one is a new
        // message stored by the server (not the schedule), and the schedule was removed.
        expect(probe.seen.map((s) => s.kind)).toEqual(['now', 'delayed']);
        const [now, delayed] = probe.seen;
        expect(delayed.seq).toBeGreaterThan(now.seq);
        expect(delayed.seq).not.toBe(schedule.seq);
        expect(delayed.scheduler).toMatch(new RegExp(`^_sched\\.${stream}\\.`));
        const left = (await h.jsm.streams.info(stream, { subjects_filter: '_sched.>' })).state.subjects ?? {};
        expect(Object.keys(left)).toEqual([]);
        await h.closeApps();
      });

      it('a subject moved to another stream after it was read: the server refuses the schedule on the old one, the library reads again and sends it to the new one', async () => {
        const before = uniqueName('SCHEDA');
        const after = uniqueName('SCHEDB');
        await h.jsm.streams.add({ name: before, subjects: ['schedmove.>', `_sched.${before}.>`], allow_msg_schedules: true, allow_rollup_hdrs: true });
        await spec.client.publish('schedmove.a', 1, { delay: '1h' });
        await h.jsm.streams.update(before, { subjects: [`_sched.${before}.>`], allow_msg_schedules: true, allow_rollup_hdrs: true });
        await h.jsm.streams.add({ name: after, subjects: ['schedmove.>', `_sched.${after}.>`], allow_msg_schedules: true, allow_rollup_hdrs: true });
        const ack = await spec.client.publish('schedmove.b', 2, { delay: '1h' });
        expect(ack.stream).toBe(after);
        expect((await h.jsm.streams.getMessage(after, { seq: ack.seq }))?.header?.get('Nats-Schedule-Target')).toBe('schedmove.b');
        expect(await messagesIn(before)).toBe(1); // the first schedule only
      });

      it('a stream without allow_msg_schedules: PublishOptionUnsupportedError naming subject, stream and setting; nothing stored', async () => {
        const stream = uniqueName('NOSCHED');
        await h.jsm.streams.add({ name: stream, subjects: ['nosched.>'] });
        const err = await spec.client.publish('nosched.a', { n: 1 }, { deliverAt: new Date(Date.now() + 60_000) }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(PublishOptionUnsupportedError);
        expect(err).toMatchObject({ code: 'PUBLISH_OPTION_UNSUPPORTED', subject: 'nosched.a', option: 'deliverAt', stream, setting: 'allow_msg_schedules' });
        expect((err as Error).message).toContain('allowMsgSchedules: true');
        expect(await messagesIn(stream)).toBe(0);
      });
    });
  } else {
    describe(`message schedules need nats-server ${MESSAGE_SCHEDULES_MIN_SERVER}, this one is ${version} (it would store the schedule as a plain message that never fires): the errors instead`, () => {
      it('a publish with deliverAt or delay is refused before anything is sent, naming the server version and the minimum', async () => {
        const stream = uniqueName('OLDSCHED');
        await h.jsm.streams.add({ name: stream, subjects: ['oldsched.>'] });
        for (const [option, value] of [
          ['deliverAt', { deliverAt: new Date(Date.now() + 60_000) }],
          ['delay', { delay: '1m' }],
        ] as const) {
          const err = await spec.client.publish('oldsched.a', { n: 1 }, value).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(PublishOptionUnsupportedError);
          expect(err).toMatchObject({ option, serverVersion: version, minServerVersion: MESSAGE_SCHEDULES_MIN_SERVER });
          expect((err as Error).message).toContain(
            `nats-server ${version} has no message schedules: it needs nats-server ${MESSAGE_SCHEDULES_MIN_SERVER} or newer`,
          );
        }
        expect(await messagesIn(stream)).toBe(0);
      });
    });
  }
});
