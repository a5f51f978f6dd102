import 'reflect-metadata';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { NatsServer, waitFor } from '@nest-jetstream/testing';
import { JetStreamClient } from '../client/jetstream.client.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamPermissionError } from '../errors/permission.error.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import type { NatsPermissions } from './compute-permissions.js';
import { computeConnectionPermissions } from './connection-permissions.js';

// Each connection's identity gets only what the app does through it: server A's user provisions,
// consumes and publishes the app's own subjects; server B's user provisions and consumes what the
// handler on "eu" reads, dead-letters its failures there, and publishes what goes through "eu".

const handled: number[] = [];

@Controller()
class CpController {
  @JetStreamEvent('cp.work')
  work(@Payload() data: { n: number }) {
    handled.push(data.n);
  }

  @JetStreamEvent('eu.bill', { connection: 'eu', maxDeliver: 1, deadLetter: 'eudlq.{subject}' })
  bill(@Payload() data: { n: number }) {
    if (data.n === 13) throw new Error('unlucky');
    handled.push(data.n);
  }
}

@Module({ controllers: [CpController] })
class CpModule {}

const streams = [
  { name: 'CP', subjects: ['cp.>'] },
  { name: 'EU', subjects: ['eu.>'], connection: 'eu' },
  { name: 'EUDLQ', subjects: ['eudlq.>'], connection: 'eu' },
];
const publishes = { default: ['cp.work'], eu: ['eu.bill'] };

describe('permissions per connection against two real servers', () => {
  let a: NatsServer;
  let b: NatsServer;
  let perms: Record<string, NatsPermissions>;
  let app: INestMicroservice | undefined;
  let client: JetStreamClient | undefined;

  beforeAll(async () => {
    // Computed from the app itself, on a server without authorization.
    const plain = await Promise.all([NatsServer.start(), NatsServer.start()]);
    try {
      const connections = { eu: { connection: { servers: plain[1].url } } };
      const strategy = new JetStreamServer({ connection: { servers: plain[0].url }, connections, serviceName: 'cp', streams });
      const probe = await NestFactory.createMicroservice(CpModule, { strategy, logger: false });
      await probe.listen();
      perms = computeConnectionPermissions(await strategy.permissionsPlan(), 'admin', { publishes });
      await probe.close();
    } finally {
      await Promise.all(plain.map((s) => s.stop()));
    }
    const users = (p: NatsPermissions) =>
      `authorization { users: [ { user: svc, password: svc, permissions: ${JSON.stringify(p)} }, { user: admin, password: admin } ] }`;
    [a, b] = await Promise.all([NatsServer.start({ config: users(perms.default) }), NatsServer.start({ config: users(perms.eu) })]);
  });
  afterAll(async () => {
    await client?.close();
    await app?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('each identity does its connection’s job with only its own set, and is refused the other’s', async () => {
    expect(perms.eu.publish.allow).toContain('eu.bill');
    expect(perms.eu.publish.allow.filter((s) => /\.CP(\.|$)|cp\./.test(s))).toEqual([]);
    expect(perms.default.publish.allow.filter((s) => /eu\./.test(s))).toEqual([]);
    expect(perms.default.publish.allow).toContain('$JS.API.STREAM.CREATE.CP');
    expect(perms.eu.publish.allow).not.toContain('$JS.API.STREAM.CREATE.CP');
    // The handler on "eu": its consumer, its stream, its dead letters, on B's identity only.
    expect(perms.eu.publish.allow).toEqual(expect.arrayContaining(['$JS.API.STREAM.CREATE.EU', 'eudlq.eu.bill', '$JS.API.STREAM.INFO.EUDLQ']));
    expect(perms.eu.publish.allow.filter((s) => s.startsWith('$JS.API.CONSUMER.MSG.NEXT.EU.'))).toHaveLength(1);
    expect(perms.default.publish.allow.filter((s) => /\.EU\b|EUDLQ|eudlq/.test(s))).toEqual([]);
    // Its dead-letter safety net runs on B too (the default connection's handlers dead-letter nothing).
    expect(perms.eu.publish.allow).toContain('$JS.API.CONSUMER.MSG.NEXT.CP_DLQ_ADVISORIES.dead_letter_advisories');
    expect(perms.default.publish.allow.filter((s) => s.includes('CP_DLQ_ADVISORIES'))).toEqual([]);

    const svc = { user: 'svc', pass: 'svc' };
    const connections = { eu: { connection: { servers: b.url, ...svc } } };
    const strategy = new JetStreamServer({ connection: { servers: a.url, ...svc }, connections, serviceName: 'cp', streams });
    app = await NestFactory.createMicroservice(CpModule, { strategy, logger: false });
    await app.listen();
    client = new JetStreamClient({
      connection: { servers: a.url, ...svc },
      connections: { eu: { connection: { servers: b.url, ...svc } } },
      publish: { retryBudget: '1s' },
    });
    await client.publish('cp.work', { n: 1 });
    await waitFor('the message handled on A', () => handled.includes(1));
    expect((await client.forConnection('eu').publish('eu.bill', { n: 2 })).stream).toBe('EU');
    await client.forConnection('eu').publish('eu.bill', { n: 13 });
    await waitFor('the message handled on B', () => handled.includes(2));
    const nc = await connect({ servers: b.url, user: 'admin', pass: 'admin' });
    try {
      const jsm = await jetstreamManager(nc);
      await waitFor('the failure dead-lettered on B', async () => (await jsm.streams.info('EUDLQ')).state.messages === 1, { timeout: 30_000 });
    } finally {
      await nc.close();
    }

    const crossed = await client
      .forConnection('eu')
      .publish('cp.work', { n: 3 })
      .catch((e: unknown) => e);
    expect(crossed).toBeInstanceOf(JetStreamPermissionError);
    expect(crossed).toMatchObject({ operation: 'publish', subject: 'cp.work' });
    const back = await client.publish('eu.bill', { n: 4 }).catch((e: unknown) => e);
    expect(back).toBeInstanceOf(JetStreamPermissionError);
    expect(back).toMatchObject({ operation: 'publish', subject: 'eu.bill' });
  });
});
