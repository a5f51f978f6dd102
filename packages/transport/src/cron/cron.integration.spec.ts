// Which cases run depends on the nats-server under test (NATS_SERVER_VERSION): on 2.14+ the jobs
// run; on an older server, the boot error is what is tested.
import { Controller, Module, type Type } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { PubHeaders } from '@nats-io/jetstream';
import { Registry } from 'prom-client';
import { CronMetrics } from '../metrics/cron.metrics.js';
import { NatsServer, natsServerBinaryVersion, resolveNatsServerBinary, waitFor } from '@nest-jetstream/testing';
import { Harness, Probe, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { ProvisioningError } from '../errors/provisioning.error.js';
import type { StreamDeclaration } from '../interfaces/jetstream-options.interface.js';
import { versionAtLeast } from '../utils/server-version.js';
import { JetStreamCron } from './jetstream-cron.decorator.js';
import { cronScheduleSubject, RECURRING_SCHEDULES_MIN_SERVER, type CronTick } from './cron-schedule.js';
import { usersConfig } from '../__fixtures__/permission-users.js';

const version = natsServerBinaryVersion(resolveNatsServerBinary());
const recurringHere = versionAtLeast(version, RECURRING_SCHEDULES_MIN_SERVER);

interface Seen {
  app: string;
  seq: number;
  delivery: number;
  tick: CronTick;
}

/** A module with one cron job on `subject` (or none), its ticks recorded in `probe` under `app`. */
function cronModule(subject: string, schedule: string | undefined, probe: Probe<Seen>, app: string, failFirst = false): Type<unknown> {
  @Controller()
  class CronController {
    @JetStreamCron(subject, schedule ?? '@every 1s', { maxDeliver: 3, backoff: ['100ms'] })
    tick(@Payload() tick: CronTick, @Ctx() ctx: JetStreamContext) {
      const { streamSequence: seq, deliveryCount: delivery } = ctx.getInfo();
      probe.add({ app, seq, delivery, tick });
      if (failFirst && delivery === 1 && seq === Math.min(...probe.seen.map((s) => s.seq))) throw new Error('first attempt of the first tick fails');
    }
  }
  @Controller()
  class Empty {}
  @Module({ controllers: [schedule === undefined ? Empty : CronController] })
  class CronModule {}
  return CronModule;
}

describe(`durable cron on nats-server ${version}`, () => {
  const h = new Harness();
  beforeAll(() => h.start());
  afterAll(() => h.stop());
  afterEach(() => h.closeApps());

  const declare = (stream: string, subject: string, allowMsgSchedules = true): StreamDeclaration[] => [
    { name: stream, subjects: [`${subject.split('.')[0]}.>`], ...(allowMsgSchedules && { allowMsgSchedules }) },
  ];

  if (!recurringHere) {
    it(`refuses to boot a cron job, naming the server's version and ${RECURRING_SCHEDULES_MIN_SERVER}`, async () => {
      const stream = uniqueName('CRONOLD');
      const err = await h
        .app(cronModule('cronold.tick', '@every 1s', new Probe<Seen>(), 'a'), { serviceName: 'cronold', streams: [{ name: stream, subjects: ['cronold.>'] }] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProvisioningError);
      expect((err as Error).message).toContain(`nats-server ${version} has no recurring message schedules`);
      expect((err as Error).message).toContain(`Upgrade nats-server to ${RECURRING_SCHEDULES_MIN_SERVER} or newer`);
      expect((err as Error).message).toContain("CronController.tick: @JetStreamCron('cronold.tick', '@every 1s')");
    });
    return;
  }

  it('two replicas: one schedule on the server, every tick handled once across both, a failed tick retried', async () => {
    const stream = uniqueName('CRON');
    const subject = `cron${stream.slice(5).toLowerCase()}.tick`;
    const probe = new Probe<Seen>();
    const options = { serviceName: 'cronsvc', streams: declare(stream, subject) };
    await h.app(cronModule(subject, '@every 1s', probe, 'a', true), options);
    await h.app(cronModule(subject, '@every 1s', probe, 'b', true), options);
    const scheduleSubject = cronScheduleSubject(stream, 'cronsvc', subject);
    // The second replica found the schedule as wanted and wrote nothing.
    expect((await h.jsm.streams.info(stream, { subjects_filter: scheduleSubject })).state.subjects).toEqual({ [scheduleSubject]: 1 });
    await waitFor(
      'four ticks handled, the first one retried',
      () => new Set(probe.seen.map((s) => s.seq)).size >= 4 && probe.count((s) => s.delivery === 2) >= 1,
      {
        timeout: 20_000,
      },
    );
    await h.closeApps();
    const firstAttempts = probe.seen.filter((s) => s.delivery === 1);
    expect(new Set(firstAttempts.map((s) => s.seq)).size).toBe(firstAttempts.length); // no tick ran twice at once
    expect(probe.seen[0].tick).toEqual({ job: subject, schedule: '@every 1s' });
  });

  it('updates the schedule in place when the expression changes, and cancels it when the job leaves the code; CronMetrics counts each change', async () => {
    const registry = new Registry();
    new CronMetrics({ registry });
    const sample = async (name: string, labels: Record<string, string>) => {
      const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === `nest_jetstream_${name}`);
      return (metric?.values as { value: number; labels: Record<string, string | number> }[] | undefined)?.find((v) =>
        Object.entries(labels).every(([k, l]) => v.labels[k] === l),
      )?.value;
    };
    const stream = uniqueName('CRONUPD');
    const subject = `cronupd${stream.slice(8).toLowerCase()}.nightly`;
    const options = { serviceName: 'cronupd', streams: declare(stream, subject) };
    const scheduleSubject = cronScheduleSubject(stream, 'cronupd', subject);
    const stored = async () => (await h.jsm.streams.getMessage(stream, { last_by_subj: scheduleSubject }))?.header;
    await h.app(cronModule(subject, '0 0 9 * * *', new Probe<Seen>(), 'a'), options);
    expect((await stored())?.get(PubHeaders.Schedule)).toBe('0 0 9 * * *');
    await h.closeApps();
    await h.app(cronModule(subject, '0 30 9 * * MON-FRI', new Probe<Seen>(), 'a'), options);
    expect((await stored())?.get(PubHeaders.Schedule)).toBe('0 30 9 * * MON-FRI');
    expect((await h.jsm.streams.info(stream, { subjects_filter: scheduleSubject })).state.subjects).toEqual({ [scheduleSubject]: 1 });
    await h.closeApps();
    // Verify mode: the server's schedule differs from the code's, and it is said.
    const verify = await h.app(cronModule(subject, '@hourly', new Probe<Seen>(), 'a'), { ...options, provisioning: 'verify' }).catch((e: unknown) => e);
    expect(verify).toBeInstanceOf(ProvisioningError);
    expect((verify as Error).message).toContain(`schedule ${scheduleSubject} is missing or not '@hourly'`);
    await h.closeApps();
    expect(await sample('cron_jobs', { service: 'cronupd' })).toBe(1);
    await h.app(cronModule(subject, undefined, new Probe<Seen>(), 'a'), options);
    expect(await stored()).toBeUndefined();
    expect(await sample('cron_schedule_changes_total', { service: 'cronupd', change: 'created' })).toBe(1);
    expect(await sample('cron_schedule_changes_total', { service: 'cronupd', change: 'updated' })).toBe(1);
    expect(await sample('cron_schedule_changes_total', { service: 'cronupd', change: 'cancelled' })).toBe(1);
    expect(await sample('cron_jobs', { service: 'cronupd' })).toBe(0);
    expect(await sample('cron_last_provisioned_timestamp_seconds', { service: 'cronupd' })).toBeGreaterThan(Date.now() / 1000 - 600);
  });

  it('refuses a job whose stream does not allow schedules, naming it and the fix', async () => {
    const stream = uniqueName('CRONNO');
    const subject = `cronno${stream.slice(7).toLowerCase()}.tick`;
    const err = await h
      .app(cronModule(subject, '@every 1m', new Probe<Seen>(), 'a'), { serviceName: 'cronno', streams: declare(stream, subject, false) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisioningError);
    expect((err as Error).message).toContain(
      `stream ${stream} does not allow message schedules (allow_msg_schedules); declare the stream with allowMsgSchedules: true`,
    );
  });

  it('a stream with maxAge: refused without allowMsgTtl (the schedule would age out), kept with Nats-TTL: never with it', async () => {
    const stream = uniqueName('CRONAGE');
    const subject = `cronage${stream.slice(8).toLowerCase()}.tick`;
    const aged = (allowMsgTtl: boolean): StreamDeclaration[] => [
      { name: stream, subjects: [`${subject.split('.')[0]}.>`], allowMsgSchedules: true, maxAge: '1h', allowMsgTtl },
    ];
    const err = await h
      .app(cronModule(subject, '@every 1m', new Probe<Seen>(), 'a'), { serviceName: 'cronage', streams: aged(false) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisioningError);
    expect((err as Error).message).toContain(`stream ${stream} has a max_age, after which the server would delete the job's schedule`);
    await h.closeApps();
    await h.app(cronModule(subject, '@every 1m', new Probe<Seen>(), 'a'), { serviceName: 'cronage', streams: aged(true) });
    const stored = await h.jsm.streams.getMessage(stream, { last_by_subj: cronScheduleSubject(stream, 'cronage', subject) });
    expect(stored?.header?.get(PubHeaders.MessageTTL)).toBe('never');
  });

  it('runs with the permissions it computes: the admin writes the schedule and cancels a removed one, the consumer (verify) only reads', async () => {
    const stream = uniqueName('CRONPERM');
    const subject = `cronperm${stream.slice(9).toLowerCase()}.tick`;
    const options = { serviceName: 'cronperm', streams: declare(stream, subject) };
    const { strategy } = await h.app(cronModule(subject, '@every 1h', new Probe<Seen>(), 'a'), options);
    const admin = await strategy.permissions('admin');
    const consumer = await strategy.permissions('consumer');
    await h.closeApps();
    await h.jsm.streams.delete(stream);
    expect(admin.publish.allow).toEqual(expect.arrayContaining([`_sched.${stream}.cron.cronperm.>`, `$JS.API.STREAM.PURGE.${stream}`]));
    expect(consumer.publish.allow).toContain(`$JS.API.STREAM.MSG.GET.${stream}`);
    expect(consumer.publish.allow.filter((s) => s.startsWith('_sched') || s.includes('PURGE'))).toEqual([]);
    const secured = await NatsServer.start({ config: usersConfig({ admin, consumer }) });
    try {
      const as = (who: string) => ({ ...options, connection: { servers: secured.url, user: who, pass: who } });
      await h.app(cronModule(subject, '@every 1h', new Probe<Seen>(), 'a'), as('admin'));
      await h.closeApps();
      await h.app(cronModule(subject, '@every 1h', new Probe<Seen>(), 'a'), { ...as('consumer'), provisioning: 'verify' });
      await h.closeApps();
      await h.app(cronModule(subject, undefined, new Probe<Seen>(), 'a'), as('admin'));
    } finally {
      await h.closeApps();
      await secured.stop();
    }
  });
});
