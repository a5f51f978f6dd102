import { AckPolicy, JetStreamApiCodes, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { errors } from '@nats-io/nats-core';
import { Logger } from '@nestjs/common';
import type { HandlerBinding, UnresolvedBinding } from '../bindings/handler-binding.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { NoStreamForSubjectError, ProvisioningError } from '../errors/provisioning.error.js';
import type { StreamDeclaration } from '../interfaces/jetstream-options.interface.js';
import { FakeJetStreamManager, apiError } from '../__fixtures__/fake-jetstream-manager.js';
import { fakeBinding } from '../__fixtures__/fake-runner-host.js';
import { CapturedLog } from '../__fixtures__/harness.js';
import { Provisioner } from './provisioner.js';

const ORDERS: StreamDeclaration = { name: 'ORDERS', subjects: ['orders.>'] };

/** A handler binding before its stream is resolved. */
function handler(overrides: Partial<HandlerBinding> = {}): UnresolvedBinding {
  const { stream: _stream, ...rest } = fakeBinding(overrides);
  return overrides.stream ? { ...rest, stream: overrides.stream } : rest;
}

/** The server as a first boot in create-or-update leaves it (ORDERS and its consumer `orders`). */
async function provisioned(binding = handler()): Promise<FakeJetStreamManager> {
  const server = new FakeJetStreamManager();
  await new Provisioner(server.jsm, 'create-or-update').provision([ORDERS], [binding]);
  server.writes.length = 0;
  return server;
}

describe('Provisioner (fake JetStream manager, no server)', () => {
  let log: CapturedLog;
  beforeEach(() => {
    log = new CapturedLog();
    Logger.overrideLogger(log);
  });

  describe("'create-or-update'", () => {
    it("creates a missing stream and the handler's durable consumer, with max_deliver above the attempts", async () => {
      const server = new FakeJetStreamManager();
      const bindings = await new Provisioner(server.jsm, 'create-or-update').provision([ORDERS], [handler({ maxDeliver: 3, ackWaitMs: 30_000 })]);
      expect(bindings.map((b) => b.stream)).toEqual(['ORDERS']);
      expect(server.writes.map((w) => `${w.call} ${w.name}`)).toEqual(['streams.add ORDERS', 'consumers.add ORDERS/orders']);
      expect(server.writes[1].config).toMatchObject({
        durable_name: 'orders',
        filter_subject: 'orders.created',
        ack_policy: 'explicit',
        max_deliver: 4,
        ack_wait: 30_000_000_000,
      });
      expect(log.matching(/Created durable consumer ORDERS\/orders for "orders.created"/)).toHaveLength(1);
    });

    it('writes nothing when the server already matches the app', async () => {
      const server = await provisioned();
      await new Provisioner(server.jsm, 'create-or-update').provision([ORDERS], [handler()]);
      expect(server.writes).toEqual([]);
    });

    it('updates only the fields that changed, in place', async () => {
      const server = await provisioned();
      await new Provisioner(server.jsm, 'create-or-update').provision([{ ...ORDERS, maxAge: '1h' }], [handler({ ackWaitMs: 5000 })]);
      expect(server.writes).toEqual([
        { call: 'streams.update', name: 'ORDERS', config: { max_age: 3_600_000_000_000 } },
        { call: 'consumers.update', name: 'ORDERS/orders', config: { ack_wait: 5_000_000_000 } },
      ]);
    });

    it('refuses a change the server cannot make in place, naming the field, and writes nothing', async () => {
      const server = await provisioned();
      const boot = new Provisioner(server.jsm, 'create-or-update').provision([{ ...ORDERS, storage: 'memory', maxAge: '1h' }], [handler()]);
      await expect(boot).rejects.toThrow(ProvisioningError);
      await expect(boot).rejects.toThrow(/cannot be changed in place[\s\S]*ORDERS[\s\S]*storage/);
      expect(server.writes).toEqual([]);
    });

    it('compares with the stream another instance created first instead of failing', async () => {
      const server = new FakeJetStreamManager();
      server.before.set('streams.add', () =>
        server.addStream({ name: 'ORDERS', subjects: ['orders.>'], retention: RetentionPolicy.Limits, storage: StorageType.File, num_replicas: 1 }),
      );
      server.before.set('consumers.add', () =>
        server.addConsumer('ORDERS', {
          durable_name: 'orders',
          ack_policy: AckPolicy.Explicit,
          ack_wait: 30_000_000_000,
          max_deliver: 4,
          max_ack_pending: 100,
          filter_subject: 'orders.created',
        }),
      );
      await new Provisioner(server.jsm, 'create-or-update').provision([ORDERS], [handler()]);
      expect(server.writes).toEqual([]);
    });

    it('will not create a stream whose subjects overlap another stream on the server', async () => {
      const server = new FakeJetStreamManager();
      server.addStream({ name: 'LEGACY', subjects: ['orders.created'] });
      await expect(new Provisioner(server.jsm, 'create-or-update').provision([ORDERS], [handler()])).rejects.toThrow(
        /Cannot create stream "ORDERS": its subject "orders.>" overlaps "orders.created" of existing stream "LEGACY"/,
      );
      expect(server.writes).toEqual([]);
    });

    it('explains a permission refusal: what was denied and to use verify with a privileged identity', async () => {
      const server = new FakeJetStreamManager();
      const denied = new errors.PermissionViolationError(
        'Permissions Violation for Publish to "$JS.API.STREAM.CREATE.ORDERS"',
        'publish',
        '$JS.API.STREAM.CREATE.ORDERS',
      );
      server.refuse.set('streams.add', new Error('permission denied', { cause: denied }));
      const boot = new Provisioner(server.jsm, 'create-or-update').provision([ORDERS], [handler()]);
      await expect(boot).rejects.toThrow(
        /Could not create stream ORDERS: the server said "permission denied"\. This identity may not publish "\$JS\.API\.STREAM\.CREATE\.ORDERS".*provisioning "verify"/,
      );
    });

    it("gives uncaptured dead-letter subjects a stream of the service's own", async () => {
      const server = new FakeJetStreamManager();
      await new Provisioner(server.jsm, 'create-or-update', 'billing').provision([ORDERS], [handler({ deadLetter: 'dead.{subject}' })]);
      expect(server.writes.filter((w) => w.call === 'streams.add').map((w) => w.config)).toEqual([
        expect.objectContaining({ name: 'ORDERS' }),
        expect.objectContaining({ name: 'BILLING_DEAD_LETTERS', subjects: ['dead.orders.created'], storage: 'file' }),
      ]);
    });

    it('puts a deleted consumer back starting where this process left off', async () => {
      const server = await provisioned();
      server.consumerConfigs.clear();
      await new Provisioner(server.jsm, 'create-or-update').recreateConsumer({ ...fakeBinding(), stream: 'ORDERS' }, 42);
      expect(server.writes).toEqual([
        { call: 'consumers.add', name: 'ORDERS/orders', config: expect.objectContaining({ deliver_policy: 'by_start_sequence', opt_start_seq: 42 }) },
      ]);
    });
  });

  describe("'verify'", () => {
    it('writes nothing and reports every missing stream and consumer in one error', async () => {
      const server = new FakeJetStreamManager();
      const boot = new Provisioner(server.jsm, 'verify').provision([ORDERS], [handler({ stream: 'ORDERS' })]);
      const err = await boot.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProvisioningError);
      expect((err as ProvisioningError).message).toMatch(/Provisioning 'verify' found 2 difference\(s\)/);
      expect((err as ProvisioningError).differences.map((d) => `${d.kind} ${d.name} ${d.field}`)).toEqual([
        'stream ORDERS (missing)',
        'consumer ORDERS/orders (missing)',
      ]);
      expect(server.writes).toEqual([]);
    });

    it('reports a changed field instead of updating it', async () => {
      const server = await provisioned();
      const err = await new Provisioner(server.jsm, 'verify').provision([ORDERS], [handler({ ackWaitMs: 5000 })]).catch((e: unknown) => e);
      expect((err as ProvisioningError).differences).toEqual([
        expect.objectContaining({ name: 'ORDERS/orders', field: 'ack_wait', option: 'ackWait', shown: { expected: "'5s'", actual: "'30s'" }, updatable: true }),
      ]);
      expect(server.writes).toEqual([]);
    });

    it('boots when everything matches, and names dead-letter subjects no stream captures', async () => {
      const routed = handler({ deadLetter: 'dead.{subject}' });
      const server = await provisioned(routed);
      const provisioner = new Provisioner(server.jsm, 'verify');
      await provisioner.provision([ORDERS], [routed]);
      expect(provisioner.missingDeadLetterSubjects).toEqual(['dead.orders.created']);
    });
  });

  describe("'off'", () => {
    it("fails when the handler's consumer is missing, saying how to fix it", async () => {
      const server = new FakeJetStreamManager();
      server.addStream({ name: 'ORDERS', subjects: ['orders.>'] });
      await expect(new Provisioner(server.jsm, 'off').provision([], [handler()])).rejects.toThrow(
        /Consumer ORDERS\/orders for handler "orders.created" does not exist and provisioning is 'off': create it on the server/,
      );
    });

    it('accepts a consumer that differs from the app, and writes nothing', async () => {
      const server = await provisioned();
      await new Provisioner(server.jsm, 'off').provision([], [handler({ ackWaitMs: 5000 })]);
      expect(server.writes).toEqual([]);
    });
  });

  describe('binding the handlers', () => {
    it('fails for a handler whose subject no stream captures, naming the subject and durable', async () => {
      const server = new FakeJetStreamManager();
      const boot = new Provisioner(server.jsm, 'create-or-update').provision([ORDERS], [handler({ subject: 'payments.done', durable: 'payments' })]);
      await expect(boot).rejects.toThrow(NoStreamForSubjectError);
      await expect(boot).rejects.toThrow(/"payments.done" \(handler durable "payments"\)/);
    });

    it('refuses two handlers on one durable', async () => {
      const server = new FakeJetStreamManager();
      const boot = new Provisioner(server.jsm, 'create-or-update').provision([ORDERS], [handler(), handler({ subject: 'orders.paid' })]);
      await expect(boot).rejects.toThrow(JetStreamConfigError);
      await expect(boot).rejects.toThrow(/"orders.created" and "orders.paid" both use durable "orders" on stream ORDERS/);
    });

    it("fails with the server's words when a consumer cannot be read", async () => {
      const server = await provisioned();
      const original = server.jsm;
      const jsm = {
        ...original,
        consumers: { ...original.consumers, info: () => Promise.reject(apiError(JetStreamApiCodes.JetStreamNotEnabledForAccount, 'jetstream not enabled')) },
      };
      await expect(new Provisioner(jsm as typeof original, 'create-or-update').provision([ORDERS], [handler()])).rejects.toThrow(
        /Could not read consumer ORDERS\/orders: the server said "jetstream not enabled"/,
      );
    });
  });
});
