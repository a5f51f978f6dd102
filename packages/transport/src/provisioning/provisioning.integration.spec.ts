import { Controller, Module } from '@nestjs/common';
import { RetentionPolicy } from '@nats-io/jetstream';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { NoStreamForSubjectError, ProvisioningError } from '../errors/provisioning.error.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import type { JetStreamOptions } from '../interfaces/jetstream-options.interface.js';

@Controller()
class ProvController {
  @JetStreamEvent('prov.created', { maxDeliver: 4, ackWait: '20s' })
  created() {}
}
@Module({ controllers: [ProvController] })
class ProvModule {}

@Controller()
class OrphanController {
  @JetStreamEvent('orphan.subject')
  orphan() {}
}
@Module({ controllers: [OrphanController] })
class OrphanModule {}

const SHARED_STREAM = uniqueName('PROV');

@Controller()
class SharedDurableController {
  // One infers its stream, the other names it: the same durable on the same stream.
  @JetStreamEvent('prov.created', { durable: 'shared' })
  inferred() {}

  @JetStreamEvent('prov.cancelled', { durable: 'shared', stream: SHARED_STREAM })
  named() {}
}
@Module({ controllers: [SharedDurableController] })
class SharedDurableModule {}

describe('provisioning (real nats-server)', () => {
  const h = new Harness();
  beforeAll(() => h.start());
  afterAll(() => h.stop());
  afterEach(async () => {
    await h.closeApps();
    // Every test starts from an empty server, even after a failure.
    for await (const name of h.jsm.streams.names()) await h.jsm.streams.delete(name);
  });

  const opts = (stream: string, extra: Partial<JetStreamOptions> = {}): JetStreamOptions => ({
    serviceName: 'prov',
    streams: [{ name: stream, subjects: ['prov.>'], maxAge: '1h', duplicateWindow: '30s' }],
    ...extra,
  });

  it('create-or-update creates the stream and the durable consumer from the declarations', async () => {
    const stream = uniqueName('PROV');
    await h.app(ProvModule, opts(stream));
    const si = await h.jsm.streams.info(stream);
    expect(si.config.subjects).toEqual(['prov.>']);
    expect(si.config.max_age).toBe(3_600_000_000_000);
    expect(si.config.duplicate_window).toBe(30_000_000_000);
    const ci = await h.jsm.consumers.info(stream, 'prov__prov_created');
    expect(ci.config).toMatchObject({ filter_subject: 'prov.created', ack_policy: 'explicit', ack_wait: 20_000_000_000, max_deliver: 5 });
  });

  it('create-or-update updates compatible changes in place', async () => {
    const stream = uniqueName('PROV');
    await h.jsm.streams.add({ name: stream, subjects: ['prov.>'], max_age: 60_000_000_000 });
    await h.jsm.consumers.add(stream, { durable_name: 'prov__prov_created', filter_subject: 'prov.created', ack_policy: 'explicit' as never, max_deliver: 2 });
    await h.app(ProvModule, opts(stream));
    expect((await h.jsm.streams.info(stream)).config.max_age).toBe(3_600_000_000_000);
    expect((await h.jsm.consumers.info(stream, 'prov__prov_created')).config.max_deliver).toBe(5);
  });

  it('create-or-update refuses an incompatible change and shows the diff', async () => {
    const stream = uniqueName('PROV');
    await h.jsm.streams.add({ name: stream, subjects: ['prov.>'], retention: RetentionPolicy.Workqueue });
    const err = await h.app(ProvModule, opts(stream)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisioningError);
    expect((err as ProvisioningError).differences).toEqual([
      expect.objectContaining({ kind: 'stream', name: stream, field: 'retention', expected: 'limits', actual: 'workqueue', updatable: false }),
    ]);
    expect((err as Error).message).toContain(`stream ${stream}: retention is "workqueue", the app declares "limits" (cannot be changed in place)`);
  });

  it('verify writes nothing and lists every difference', async () => {
    const stream = uniqueName('PROV');
    await h.jsm.streams.add({ name: stream, subjects: ['prov.>'], max_age: 60_000_000_000 });
    const err = await h.app(ProvModule, opts(stream, { provisioning: 'verify' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisioningError);
    const text = (err as Error).message;
    expect(text).toMatch(/^Provisioning 'verify' found 3 difference/);
    expect(text).toContain(`stream ${stream}: maxAge is '1m' on the server, the app declares '1h' (max_age)`);
    expect(text).toContain(`stream ${stream}: duplicateWindow is '1m' on the server, the app declares '30s' (duplicate_window)`);
    expect(text).toContain(`consumer ${stream}/prov__prov_created: missing`);
    // Nothing was written.
    expect((await h.jsm.streams.info(stream)).config.max_age).toBe(60_000_000_000);
    await expect(h.jsm.consumers.info(stream, 'prov__prov_created')).rejects.toThrow(/consumer not found/);
  });

  it('verify reports a missing stream and its consumer as differences, and lists every one', async () => {
    const stream = uniqueName('PROV');
    const err = await h.app(ProvModule, opts(stream, { provisioning: 'verify' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisioningError);
    expect((err as ProvisioningError).differences.map((d) => `${d.kind} ${d.name} ${d.field}`)).toEqual([
      `stream ${stream} (missing)`,
      `consumer ${stream}/prov__prov_created (missing)`,
    ]);
    expect((err as Error).message).toContain(`stream ${stream}: missing`);
    expect((err as Error).message).not.toMatch(/Could not read/);
  });

  it("shows consumer differences in the handler's terms: maxDeliver as written, ackWait as a duration", async () => {
    const stream = uniqueName('PROV');
    await h.jsm.streams.add({ name: stream, subjects: ['prov.>'] });
    // The handler declares maxDeliver 4 (the server's max_deliver 5) and ackWait '20s'.
    await h.jsm.consumers.add(stream, {
      durable_name: 'prov__prov_created',
      filter_subject: 'prov.created',
      ack_policy: 'explicit' as never,
      max_deliver: 7,
      ack_wait: 60_000_000_000,
    });
    const err = await h.app(ProvModule, { serviceName: 'prov', provisioning: 'verify' }).catch((e: unknown) => e);
    const text = (err as Error).message;
    expect(text).toContain(`consumer ${stream}/prov__prov_created: maxDeliver is 6 on the server, the app declares 4 (max_deliver)`);
    expect(text).toContain(`consumer ${stream}/prov__prov_created: ackWait is '1m' on the server, the app declares '20s' (ack_wait)`);
  });

  it('off binds to an existing consumer and fails, naming it, when it is missing', async () => {
    const stream = uniqueName('PROV');
    await h.jsm.streams.add({ name: stream, subjects: ['prov.>'] });
    const err = await h.app(ProvModule, { serviceName: 'prov', provisioning: 'off' }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(new RegExp(`Consumer ${stream}/prov__prov_created .* does not exist and provisioning is 'off'`));
    await h.jsm.consumers.add(stream, { durable_name: 'prov__prov_created', filter_subject: 'prov.created', ack_policy: 'explicit' as never });
    const { strategy } = await h.app(ProvModule, { serviceName: 'prov', provisioning: 'off' });
    expect(strategy.bindings.map((b) => `${b.stream}/${b.durable}`)).toEqual([`${stream}/prov__prov_created`]);
  });

  it('refuses two handlers on one durable once their streams are resolved, before creating anything', async () => {
    const stream = SHARED_STREAM;
    const err = await h.app(SharedDurableModule, opts(stream)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JetStreamConfigError);
    expect((err as Error).message).toBe(
      `Handlers "prov.created" and "prov.cancelled" both use durable "shared" on stream ${stream}: give one of them another durable.`,
    );
    await expect(h.jsm.consumers.info(stream, 'shared')).rejects.toThrow(/consumer not found/);
  });

  it('refuses to listen without a serviceName when it has handlers', async () => {
    const stream = uniqueName('PROV');
    const err = await h.app(ProvModule, { streams: [{ name: stream, subjects: ['prov.>'] }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JetStreamConfigError);
    expect((err as Error).message).toMatch(/has 1 handler\(s\) but no serviceName.*Set serviceName to this service's name/);
  });

  it('fails boot when no stream captures a handler subject', async () => {
    const err = await h.app(OrphanModule, { serviceName: 'prov' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoStreamForSubjectError);
    expect((err as Error).message).toMatch(/No JetStream stream captures subject "orphan.subject"/);
  });

  it('rejects overlapping declared streams, bad names and streams overlapping a server stream', async () => {
    expect(
      () =>
        new JetStreamServer({
          streams: [
            { name: 'A', subjects: ['x.>'] },
            { name: 'B', subjects: ['x.y'] },
          ],
        }),
    ).toThrow(/Streams "A" \("x\.>"\) and "B" \("x\.y"\) capture overlapping subjects/);
    expect(() => new JetStreamServer({ streams: [{ name: 'bad.name', subjects: ['x'] }] })).toThrow(JetStreamConfigError);
    const existing = uniqueName('EXISTING');
    await h.jsm.streams.add({ name: existing, subjects: ['prov.>'] });
    const err = await h.app(ProvModule, opts(uniqueName('NEW'))).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(new RegExp(`overlaps "prov\\.>" of existing stream "${existing}"`));
  });

  it('finds streams and consumers beyond the first page of the server listing', async () => {
    // The stream list API pages at 256: make the app's stream sort after them.
    for (let i = 0; i < 260; i++) await h.jsm.streams.add({ name: `A_FILL_${i}`, subjects: [`fill.${i}`], storage: 'memory' as never });
    const stream = `Z_${uniqueName('LAST')}`;
    await h.jsm.streams.add({ name: stream, subjects: ['prov.>'] });
    // No declaration: the stream must be found by subject on page two.
    const { strategy } = await h.app(ProvModule, { serviceName: 'prov' });
    expect(strategy.bindings[0].stream).toBe(stream);
  });
});
