import 'reflect-metadata';
import { jetstreamManager } from '@nats-io/jetstream';
import { errors, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NatsServer } from '@nest-jetstream/testing';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import type { ProvisioningMode } from '../interfaces/jetstream-options.interface.js';
import { JetStreamServer } from '../server/jetstream.server.js';

// verify and off look up only the streams they need: an identity that may not list every stream
// ($JS.API.STREAM.LIST) still boots.

@Controller()
class LookupController {
  @JetStreamEvent('look.created', { deadLetter: 'lookdlq.created' })
  created() {}
}
@Module({ controllers: [LookupController] })
class LookupModule {}

describe('provisioning without listing every stream (real nats-server with permissions)', () => {
  let server: NatsServer;
  let admin: NatsConnection;
  const apps: INestMicroservice[] = [];

  beforeAll(async () => {
    server = await NatsServer.start({
      config: `authorization { users: [
        { user: admin, password: admin }
        { user: app, password: app, permissions: { publish: { allow: [">"], deny: ["$JS.API.STREAM.LIST", "$JS.API.STREAM.LIST.>"] } } }
      ] }`,
    });
    admin = await connect({ servers: server.url, user: 'admin', pass: 'admin' });
    const jsm = await jetstreamManager(admin);
    await jsm.streams.add({ name: 'LOOK', subjects: ['look.>'] });
    await jsm.streams.add({ name: 'LOOKDLQ', subjects: ['lookdlq.>'] });
    // Streams the app has nothing to do with: listing them is what least privilege forbids.
    await jsm.streams.add({ name: 'OTHER_TEAM', subjects: ['other.>'] });
    await jsm.consumers.add('LOOK', {
      durable_name: 'look__look_created',
      filter_subject: 'look.created',
      ack_policy: 'explicit' as never,
      max_deliver: 15,
      ack_wait: 30_000_000_000,
      max_ack_pending: 1000,
    });
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await admin?.close();
    await server?.stop();
  });

  const boot = async (provisioning: ProvisioningMode, user: string) => {
    const strategy = new JetStreamServer({
      connection: { servers: server.url, user, pass: user },
      serviceName: 'look',
      provisioning,
      deadLetterAdvisories: false,
    });
    const app = await NestFactory.createMicroservice(LookupModule, { strategy, logger: false });
    apps.push(app);
    await app.listen();
    return strategy;
  };

  it.each(['off', 'verify'] as const)('%s boots with an identity that may not list streams, resolving the handler and dead-letter streams', async (mode) => {
    const strategy = await boot(mode, 'app');
    expect(strategy.bindings.map((b) => `${b.stream}/${b.durable}`)).toEqual(['LOOK/look__look_created']);
  });

  it('the identity really may not list streams (create-or-update needs it)', async () => {
    const err = await boot('create-or-update', 'app').catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/Could not list streams.*(Permissions Violation|permission)/i);
    expect(((err as Error).cause as Error).cause).toBeInstanceOf(errors.PermissionViolationError);
    expect((err as Error).message).toMatch(
      /This identity may not publish "\$JS\.API\.STREAM\.LIST": it may not change JetStream config\. Use provisioning "verify"/,
    );
  });
});
