import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { NatsServer, waitFor } from '@nest-jetstream/testing';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import type { JetStreamServerOptions } from '../interfaces/jetstream-options.interface.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import type { NatsPermissions } from './compute-permissions.js';
import { usersConfig } from '../__fixtures__/permission-users.js';

// The consumer role of an app whose handlers use every mode, given to a real nats-server user:
// each instance-scoped consumer is made, read and removed under it, and the push consumer's
// messages reach it.

const seen = new Set<string>();

@Controller()
class ModesController {
  @JetStreamEvent('pm.shared')
  shared(@Payload() data: { n: number }, @Ctx() ctx: JetStreamContext) {
    seen.add(`${ctx.getSubject()}#${data.n}`);
  }

  @JetStreamEvent('pm.broadcast', { mode: 'broadcast' })
  broadcast(@Payload() data: { n: number }, @Ctx() ctx: JetStreamContext) {
    seen.add(`${ctx.getSubject()}#${data.n}`);
  }

  @JetStreamEvent('pm.ordered', { mode: 'ordered' })
  ordered(@Payload() data: { n: number }, @Ctx() ctx: JetStreamContext) {
    seen.add(`${ctx.getSubject()}#${data.n}`);
  }

  @JetStreamEvent('pm.push', { mode: 'push' })
  push(@Payload() data: { n: number }, @Ctx() ctx: JetStreamContext) {
    seen.add(`${ctx.getSubject()}#${data.n}`);
  }
}

@Module({ controllers: [ModesController] })
class ModesModule {}

const streams = [{ name: 'PM', subjects: ['pm.>'] }];

describe('least-privilege consumer role with every delivery mode (real server permissions)', () => {
  const apps: INestMicroservice[] = [];
  let server: NatsServer;
  let consumer: NatsPermissions;

  const boot = async (user: string, options: Partial<JetStreamServerOptions>) => {
    const strategy = new JetStreamServer({ connection: { servers: server.url, user, pass: user }, serviceName: 'pm', streams, ...options });
    const app = await NestFactory.createMicroservice(ModesModule, { strategy, logger: false });
    apps.push(app);
    await app.listen();
    return strategy;
  };

  beforeAll(async () => {
    const plain = await NatsServer.start();
    let admin: NatsPermissions;
    try {
      const strategy = new JetStreamServer({ connection: { servers: plain.url }, serviceName: 'pm', streams });
      const app = await NestFactory.createMicroservice(ModesModule, { strategy, logger: false });
      await app.listen();
      admin = await strategy.permissions('admin');
      consumer = await strategy.permissions('consumer');
      await app.close();
    } finally {
      await plain.stop();
    }
    server = await NatsServer.start({ config: usersConfig({ admin, consumer, pub: undefined }) });
  });
  afterAll(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await server?.stop();
  });

  it('provisions as admin, then runs every mode as the consumer identity in verify', async () => {
    const provisioning = await boot('admin', { provisioning: 'create-or-update' });
    expect(provisioning.bindings.map((b) => b.mode).sort()).toEqual(['broadcast', 'ordered', 'push', 'shared']);
    await apps.splice(0)[0].close();
    expect(consumer.subscribe.allow).toContain('_PUSH.PM.pm__pm_push');
    expect(consumer.publish.allow.filter((s) => s.includes('CREATE'))).toEqual([
      '$JS.API.CONSUMER.CREATE.PM',
      '$JS.API.CONSUMER.CREATE.PM.*',
      '$JS.API.CONSUMER.CREATE.PM.*.>',
      '$JS.API.CONSUMER.DURABLE.CREATE.PM.*',
    ]);

    await boot('consumer', { provisioning: 'verify' });
    const nc = await connect({ servers: server.url, user: 'pub', pass: 'pub' });
    const js = jetstream(nc);
    for (const subject of ['pm.shared', 'pm.broadcast', 'pm.ordered', 'pm.push']) await js.publish(subject, JSON.stringify({ n: 1 }));
    await waitFor('every mode to handle its message', () => seen.size === 4, { timeout: 15_000 });
    expect([...seen].sort()).toEqual(['pm.broadcast#1', 'pm.ordered#1', 'pm.push#1', 'pm.shared#1']);
    await nc.close();
  });
});
