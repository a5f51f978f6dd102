import 'reflect-metadata';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx } from '@nestjs/microservices';
import { NatsServer, waitFor } from '@nest-jetstream/testing';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import type { NatsPermissions, PermissionRole } from '../permissions/compute-permissions.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import { KvIdempotencyStore } from './kv-idempotency.store.js';
import { rolePermissions, usersConfig } from '../__fixtures__/permission-users.js';

// A KvIdempotencyStore's rights, computed by permissions() and given to real nats-server users:
// the consumer role records and reads its keys in the bucket, and nothing in another bucket.

const keys: string[] = [];

@Controller()
class KvPermController {
  @JetStreamEvent('kvperm.work', { idempotent: true })
  work(@Ctx() ctx: JetStreamContext) {
    keys.push(ctx.idempotencyKey);
  }
}

@Module({ controllers: [KvPermController] })
class KvPermModule {}

const streams = [{ name: 'KVPERM', subjects: ['kvperm.>'] }];
const BUCKET = 'kvperm_idem';

describe('KvIdempotencyStore under the permissions permissions() computes (real server authorization)', () => {
  let server: NatsServer | undefined;
  const apps: INestMicroservice[] = [];
  const perms = {} as Record<PermissionRole, NatsPermissions>;
  const conns: { close(): Promise<void> }[] = [];

  const boot = async (user: string | undefined, url: string, provisioning: 'create-or-update' | 'verify') => {
    const nc = await connect({ servers: url, ...(user && { user, pass: user }) });
    conns.push(nc);
    const bucket = user === 'consumer' ? await new Kvm(nc).open(BUCKET) : await new Kvm(nc).create(BUCKET, { ttl: 60_000 });
    const store = new KvIdempotencyStore({ bucket });
    const strategy = new JetStreamServer({
      connection: { servers: url, ...(user && { user, pass: user }) },
      serviceName: 'kvperm',
      streams,
      provisioning,
      idempotency: { store },
    });
    const app = await NestFactory.createMicroservice(KvPermModule, { strategy, logger: false });
    apps.push(app);
    await app.listen();
    return { strategy, store, nc };
  };
  const closeAll = async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await Promise.all(conns.splice(0).map((c) => c.close()));
  };

  beforeAll(async () => {
    const plain = await NatsServer.start();
    try {
      const { strategy } = await boot(undefined, plain.url, 'create-or-update');
      Object.assign(perms, await rolePermissions(strategy, ['kvperm.work']));
      await closeAll();
    } finally {
      await plain.stop();
    }
    server = await NatsServer.start({ config: usersConfig(perms) });
  });
  afterAll(async () => {
    await closeAll();
    await server?.stop();
  });

  it('grants the bucket to admin and consumer only: stream info, direct and message get, $KV.<bucket>.>; admin may create it', () => {
    const kv = [`$JS.API.STREAM.INFO.KV_${BUCKET}`, `$JS.API.DIRECT.GET.KV_${BUCKET}.>`, `$JS.API.STREAM.MSG.GET.KV_${BUCKET}`, `$KV.${BUCKET}.>`];
    expect(perms.consumer.publish.allow).toEqual(expect.arrayContaining(kv));
    expect(perms.consumer.publish.allow).not.toContain(`$JS.API.STREAM.CREATE.KV_${BUCKET}`);
    expect(perms.admin.publish.allow).toEqual(expect.arrayContaining([...kv, `$JS.API.STREAM.CREATE.KV_${BUCKET}`]));
    expect(perms.producer.publish.allow.filter((s) => s.includes(BUCKET))).toEqual([]);
  });

  it('admin creates the bucket and provisions; the consumer (verify) records and reads its keys, and may not write another bucket', async () => {
    const url = server!.url;
    await boot('admin', url, 'create-or-update');
    await closeAll();
    const { store, nc } = await boot('consumer', url, 'verify');
    const producer = new JetStreamClient({ connection: { servers: url, user: 'producer', pass: 'producer' } });
    try {
      await producer.publish('kvperm.work', { n: 1 });
      const key = await waitFor('the handler to run', () => keys[0]);
      // Recorded by the consumer's app (a KV create), read back by its store (a KV get).
      await waitFor('the key recorded', () => store.seen(key));
      expect(await store.record(key)).toBe(false);
      // Outside its set: another bucket's keys.
      const sneaky = await nc.request(`$KV.other_bucket.k`, 'x', { timeout: 2000 }).catch((e: unknown) => e);
      expect(String(sneaky)).toMatch(/permission/i);
    } finally {
      await producer.close();
      await closeAll();
    }
  });
});
