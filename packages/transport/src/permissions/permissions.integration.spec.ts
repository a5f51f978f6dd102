import 'reflect-metadata';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { NatsServer, waitFor } from '@nest-jetstream/testing';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamTermError } from '../errors/handler.errors.js';
import { JetStreamPermissionError } from '../errors/permission.error.js';
import { ProvisioningError } from '../errors/provisioning.error.js';
import type { DeadLetterEvent } from '../events/settle.events.js';
import type { JetStreamServerOptions } from '../interfaces/jetstream-options.interface.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import type { NatsPermissions, PermissionRole } from './compute-permissions.js';
import { rolePermissions, usersConfig } from '../__fixtures__/permission-users.js';

// The permissions the library computes for an app, given to real nats-server users and nothing
// more: each role does its job, and is refused one thing outside its set.

const handled: { seq: number; delivery: number }[] = [];

@Controller()
class PermController {
  @JetStreamEvent('perm.work', { maxDeliver: 2, backoff: ['50ms'], deadLetter: 'permdlq.work' })
  work(@Payload() data: { failOnce?: boolean; poison?: boolean }, @Ctx() ctx: JetStreamContext) {
    const { streamSequence: seq, deliveryCount: delivery } = ctx.getInfo();
    handled.push({ seq, delivery });
    if (data.poison) throw new JetStreamTermError('poison');
    if (data.failOnce && delivery === 1) throw new Error('first attempt fails');
  }
}

@Module({ controllers: [PermController] })
class PermModule {}

const streams = [
  { name: 'PERM', subjects: ['perm.>'] },
  { name: 'PERMDLQ', subjects: ['permdlq.>'] },
];
// The storage check writes: the admin creates its stream at boot, the consumer (verify) writes to it.
const health = { storageWrite: true, cacheTtl: 0 };

describe('least-privilege roles against real server permissions', () => {
  const apps: INestMicroservice[] = [];
  let server: NatsServer;
  const perms = {} as Record<PermissionRole, NatsPermissions>;

  // Every error the apps' connections report (a permissions violation of a subscription comes this way).
  const errors: Error[] = [];
  const boot = async (user: string, options: Partial<JetStreamServerOptions>) => {
    const strategy = new JetStreamServer({ connection: { servers: server.url, user, pass: user }, serviceName: 'perm', streams, health, ...options });
    strategy.on('error', (e) => errors.push(e));
    const app = await NestFactory.createMicroservice(PermModule, { strategy, logger: false });
    apps.push(app);
    await app.listen();
    return strategy;
  };
  const closeApps = () => Promise.all(apps.splice(0).map((a) => a.close()));

  beforeAll(async () => {
    // Computed from the app itself, on a server without authorization.
    const plain = await NatsServer.start();
    try {
      const strategy = new JetStreamServer({ connection: { servers: plain.url }, serviceName: 'perm', streams, health });
      const app = await NestFactory.createMicroservice(PermModule, { strategy, logger: false });
      await app.listen();
      Object.assign(perms, await rolePermissions(strategy, ['perm.work']));
      await app.close();
    } finally {
      await plain.stop();
    }
    server = await NatsServer.start({ config: usersConfig(perms) });
  });
  afterAll(async () => {
    await closeApps();
    await server?.stop();
  });

  it('computes narrow sets: only admin may create, only admin and consumer may consume', () => {
    expect(perms.admin.publish.allow).toEqual(
      expect.arrayContaining(['$JS.API.STREAM.CREATE.PERM', '$JS.API.STREAM.LIST', '$JS.API.CONSUMER.DURABLE.CREATE.PERM.perm__perm_work']),
    );
    expect(perms.consumer.publish.allow.filter((s) => /CREATE|UPDATE|STREAM\.LIST|DELETE/.test(s))).toEqual([]);
    expect(perms.consumer.publish.allow).toEqual(
      expect.arrayContaining(['$JS.API.CONSUMER.MSG.NEXT.PERM.perm__perm_work', '$JS.ACK.PERM.perm__perm_work.>', 'permdlq.work']),
    );
    expect(perms.admin.publish.allow).toContain('$JS.API.STREAM.CREATE.PERM_HEALTH');
    expect(perms.consumer.publish.allow).toEqual(expect.arrayContaining(['$JS.API.STREAM.INFO.PERM_HEALTH', 'nest-jetstream.health.perm']));
    expect(perms.producer.publish.allow.filter((s) => /CONSUMER|\$JS\.ACK/.test(s))).toEqual([]);
    expect(perms.producer.publish.allow).toContain('perm.work');
    expect(perms.producer.subscribe.allow).toEqual(['_INBOX.>']);
    // Without metrics too: the puller re-pulls after its consumer's election (consuming/leader-watch.ts).
    expect(perms.consumer.subscribe.allow).toContain('$JS.EVENT.ADVISORY.CONSUMER.LEADER_ELECTED.PERM.perm__perm_work');
  });

  it('the admin provisions; the consumer runs in verify and off; the producer publishes with msgId and expectations', async () => {
    await boot('admin', {});
    await closeApps();
    const dead: DeadLetterEvent[] = [];
    const consumer = await boot('consumer', { provisioning: 'verify' });
    consumer.on('deadLetter', (e) => dead.push(e));
    const producer = new JetStreamClient({ connection: { servers: server.url, user: 'producer', pass: 'producer' } });
    try {
      const ok = await producer.publish('perm.work', { ok: true }, { msgId: 'perm-1' });
      expect((await producer.publish('perm.work', { ok: true }, { msgId: 'perm-1' })).duplicate).toBe(true);
      const flaky = await producer.publish('perm.work', { failOnce: true }, { expect: { stream: 'PERM' } });
      const poison = await producer.publish('perm.work', { poison: true });
      await waitFor('the message handled', () => handled.some((h) => h.seq === ok.seq));
      await waitFor('the flaky one naked and handled again', () => handled.some((h) => h.seq === flaky.seq && h.delivery === 2));
      await waitFor('the poison one dead-lettered', () => dead.find((e) => e.streamSequence === poison.seq));
      const ready = await consumer.health.readiness();
      expect(ready.status).toBe('up');
      expect(ready.checks.find((c) => c.name === 'jetstream.storage')?.details).toMatchObject({ stream: 'PERM_HEALTH', writeMs: expect.any(Number) });
      // Nothing the consumer did (its subscriptions included) was refused by the server.
      expect(errors.map((e) => e.message)).toEqual([]);
      await closeApps();
      await boot('consumer', { provisioning: 'off' });
    } finally {
      await producer.close();
      await closeApps();
    }
  });

  it('refuses each role what is outside its set, with our errors', async () => {
    // The consumer may not create a stream...
    const created = await boot('consumer', { streams: [...streams, { name: 'PERMNEW', subjects: ['permnew.>'] }] }).catch((e: unknown) => e);
    expect(created).toBeInstanceOf(ProvisioningError);
    expect((created as Error).message).toMatch(/This identity may not publish "\$JS\.API\.STREAM\.LIST"/);
    // ...nor consume another durable...
    const other = await boot('consumer', { provisioning: 'verify', serviceName: 'other' }).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(ProvisioningError);
    expect((other as Error).message).toMatch(/other__perm_work/);
    // ...and the producer may not publish elsewhere.
    const producer = new JetStreamClient({ connection: { servers: server.url, user: 'producer', pass: 'producer' }, publish: { retryBudget: '1s' } });
    try {
      const err = await producer.publish('permdlq.work', { sneaky: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JetStreamPermissionError);
      expect(err).toMatchObject({ code: 'PERMISSION', operation: 'publish', subject: 'permdlq.work' });
      expect((err as Error).message).toMatch(/may not publish to "permdlq\.work"\. Add "permdlq\.work" to its publish allow list/);
    } finally {
      await producer.close();
    }
    // The admin, with its own set, did not need more.
    const admin = await connect({ servers: server.url, user: 'admin', pass: 'admin' });
    const jsm = await jetstreamManager(admin);
    expect((await jsm.streams.info('PERM')).config.name).toBe('PERM');
    await admin.close();
  });
});
