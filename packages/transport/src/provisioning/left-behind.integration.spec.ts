import { AckPolicy, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Controller, Module, type INestMicroservice, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CapturedLog, Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import type { JetStreamOptions } from '../interfaces/jetstream-options.interface.js';
import { JetStreamServer } from '../server/jetstream.server.js';

// A handler removed between two versions leaves its durable behind, holding messages for good on
// an interest stream: the next boot names it with the command that removes it, readiness lists
// it, and pruneConsumers removes it, but never another service's consumer, a consumer a running
// instance still pulls from, or another live instance's own broadcast consumer.

@Controller()
class HandlerA {
  @JetStreamEvent('lb.a')
  a() {}
}

@Controller()
class HandlerB {
  @JetStreamEvent('lb.b')
  b() {}
}

@Controller()
class BroadcastC {
  @JetStreamEvent('lb.c', { mode: 'broadcast' })
  c() {}
}

@Module({ controllers: [HandlerA, HandlerB] })
class V1 {}

@Module({ controllers: [HandlerA] })
class V2 {}

@Module({ controllers: [BroadcastC] })
class Broadcaster {}

@Controller()
class TaskOld {
  @JetStreamEvent('lbwq.tasks.>')
  run() {}
}

@Controller()
class TaskRenamed {
  @JetStreamEvent('lbwq.tasks.*')
  run() {}
}

@Module({ controllers: [TaskOld] })
class WorkV1 {}

@Module({ controllers: [TaskRenamed] })
class WorkV2 {}

describe('consumers left behind (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('LEFT_BEHIND');
  const orphan = 'lb__lb_b';
  const apps: INestMicroservice[] = [];

  async function boot(
    module: Type<unknown>,
    extra: Partial<JetStreamOptions> = {},
  ): Promise<{ app: INestMicroservice; strategy: JetStreamServer; log: CapturedLog }> {
    const log = new CapturedLog();
    const strategy = new JetStreamServer({
      connection: { servers: h.server.url },
      serviceName: 'lb',
      streams: [{ name: stream, subjects: ['lb.>'], retention: 'interest' }],
      health: { cacheTtl: 0 },
      ...extra,
    });
    const app = await NestFactory.createMicroservice(module, { strategy, logger: log });
    apps.push(app);
    await app.listen();
    return { app, strategy, log };
  }

  const exists = (name: string) =>
    h.jsm.consumers.info(stream, name).then(
      () => true,
      (err: unknown) => {
        if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return false;
        throw err;
      },
    );

  const names = async () => {
    const out: string[] = [];
    for await (const c of h.jsm.consumers.list(stream)) out.push(c.name);
    return out;
  };

  beforeAll(() => h.start());
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await h.jsm.streams.delete(stream).catch(() => undefined);
    await h.stop();
  });

  it("reports a removed handler's durable at boot and in readiness, prunes it only when asked, and leaves other consumers alone", async () => {
    // Another live instance of this service, with its own broadcast consumer (<durable>_<instance>).
    const live = await boot(Broadcaster);
    const liveBroadcast = live.strategy.bindings[0].durable;
    // v1 has handlers A and B.
    const v1 = await boot(V1);
    await v1.app.close();
    // Another service's consumer on the same stream, with a name close to ours.
    await h.jsm.consumers.add(stream, { durable_name: 'other__lb_b', ack_policy: AckPolicy.Explicit, filter_subject: 'lb.b' });
    await h.jsm.consumers.add(stream, { durable_name: 'lb___lb_b', ack_policy: AckPolicy.Explicit, filter_subject: 'lb.b' });
    await h.js.publish('lb.b', '{}');

    // v2 has only A: B's durable is named, with the command, and stays.
    const v2 = await boot(V2);
    const warnings = v2.log.lines.filter((l) => l.level === 'warn').map((l) => l.message);
    const about = warnings.filter((w) => w.includes(`${stream}/${orphan}`));
    expect(about).toHaveLength(1);
    expect(about[0]).toContain(`nats consumer rm ${stream} ${orphan}`);
    expect(about[0]).toContain('1 pending');
    expect(about[0]).toContain('pruneConsumers: true');
    for (const other of ['other__lb_b', 'lb___lb_b', liveBroadcast, 'lb__lb_a']) expect(warnings.filter((w) => w.includes(other))).toEqual([]);
    const consumersCheck = (await v2.strategy.health.readiness()).checks.find((c) => c.name === 'jetstream.consumers');
    expect(consumersCheck?.status).toBe('up');
    expect(consumersCheck?.details.leftBehind).toEqual([
      { consumer: `${stream}/${orphan}`, pending: 1, ackPending: 0, inUse: false, remove: `nats consumer rm ${stream} ${orphan}` },
    ]);
    expect(await exists(orphan)).toBe(true);
    await v2.app.close();

    // verify never removes, even with pruneConsumers, and says so.
    const verify = await boot(V2, { provisioning: 'verify', pruneConsumers: true });
    expect(
      verify.log.matching(new RegExp(`${stream}/${orphan}.*only with provisioning 'create-or-update' \\(this service uses 'verify'\\)`), 'JetStreamServer'),
    ).toHaveLength(1);
    expect(await exists(orphan)).toBe(true);
    await verify.app.close();

    // While v1 still runs (a rolling deploy), its consumer is in use: reported, not removed.
    const v1again = await boot(V1);
    const rolling = await boot(V2, { pruneConsumers: true });
    expect(rolling.log.matching(new RegExp(`${stream}/${orphan}.*pulling from it right now`), 'JetStreamServer')).toHaveLength(1);
    expect(await exists(orphan)).toBe(true);
    await rolling.app.close();
    await v1again.app.close();

    // Once v1 is gone, pruneConsumers removes it, and only it.
    const pruned = await boot(V2, { pruneConsumers: true });
    expect(pruned.log.matching(new RegExp(`Removed consumer ${stream}/${orphan}`), 'JetStreamServer')).toHaveLength(1);
    expect(await exists(orphan)).toBe(false);
    const left = await names();
    expect(left).toEqual(expect.arrayContaining(['lb__lb_a', 'other__lb_b', 'lb___lb_b', liveBroadcast]));
    expect((await pruned.strategy.health.readiness()).checks.find((c) => c.name === 'jetstream.consumers')?.details.leftBehind).toBeUndefined();
  });

  it('on a work-queue stream, a renamed handler boots once pruneConsumers removes its old durable (without it, the error says to)', async () => {
    const wq = uniqueName('LEFT_BEHIND_WQ');
    const opts = (extra: Partial<JetStreamOptions> = {}) => ({ streams: [{ name: wq, subjects: ['lbwq.>'], retention: 'workqueue' as const }], ...extra });
    const v1 = await boot(WorkV1, opts());
    const old = v1.strategy.bindings[0].durable;
    await v1.app.close();
    await h.js.publish('lbwq.tasks.x', '{}');

    // The old durable overlaps the renamed handler's subject: a work-queue stream allows one consumer per subject.
    const refused = await boot(WorkV2, opts()).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(String(refused)).toMatch(new RegExp(`overlaps consumer ${wq}/${old}.*pruneConsumers: true`));
    expect(await h.jsm.consumers.info(wq, old).then(() => true)).toBe(true);

    const v2 = await boot(WorkV2, opts({ pruneConsumers: true }));
    expect(v2.log.matching(new RegExp(`Removed consumer ${wq}/${old}`), 'JetStreamServer')).toHaveLength(1);
    const consumers: string[] = [];
    for await (const c of h.jsm.consumers.list(wq)) consumers.push(c.name);
    expect(consumers).toEqual([v2.strategy.bindings[0].durable]);
    await v2.app.close();
    await h.jsm.streams.delete(wq);
  });
});
