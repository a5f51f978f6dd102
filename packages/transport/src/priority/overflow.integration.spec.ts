import { Controller, Module } from '@nestjs/common';
import { Ctx } from '@nestjs/microservices';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import type { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { ConsumerFeatureUnsupportedError } from '../errors/consumer-feature.error.js';
import { versionAtLeast } from '../utils/server-version.js';
import { CONSUMER_FEATURES } from '../delivery/consumer-features.js';

// A standby instance of an overflow handler (priority policy overflow, min_pending 20): the server
// serves its pulls only while at least 20 messages wait. Asserted: what the server guarantees
// (nothing below the threshold while its pull waits; something above it; everything once a
// primary runs), never how many each instance got.

const handledBy = { primary: new Set<number>(), standby: new Set<number>() };
const THRESHOLD = 20;

@Controller()
class PrimaryController {
  @JetStreamEvent('overflow.work', { overflow: { minPending: THRESHOLD } })
  work(_data: unknown, @Ctx() ctx: JetStreamContext) {
    handledBy.primary.add(ctx.getInfo().streamSequence);
  }
}

@Controller()
class StandbyController {
  @JetStreamEvent('overflow.work', { overflow: { minPending: THRESHOLD, standby: true } })
  work(_data: unknown, @Ctx() ctx: JetStreamContext) {
    handledBy.standby.add(ctx.getInfo().streamSequence);
  }
}

@Module({ controllers: [PrimaryController] })
class PrimaryModule {}

@Module({ controllers: [StandbyController] })
class StandbyModule {}

describe('overflow handlers: a standby that helps past a backlog threshold (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('OVERFLOW');
  const options = { serviceName: 'overflow-spec', streams: [{ name: stream, subjects: ['overflow.>'] }] };
  const durable = 'overflow-spec__overflow_work';

  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('serves the standby only past the threshold, and a primary always (2.11+); older servers refuse to boot', async () => {
    const version = h.nc.info!.version;
    if (!versionAtLeast(version, CONSUMER_FEATURES.overflow.minServer)) {
      const boot = h.app(StandbyModule, options);
      await expect(boot).rejects.toThrow(ConsumerFeatureUnsupportedError);
      await expect(boot).rejects.toThrow(
        `Handler "overflow.work" (overflow) needs overflow handlers (priority policy overflow), which arrived in nats-server 2.11.0`,
      );
      return;
    }
    await h.app(StandbyModule, options);
    const info = () => h.jsm.consumers.info(stream, durable);
    expect((await info()).config).toMatchObject({ priority_policy: 'overflow', priority_groups: ['handlers'] });

    // Below the threshold: the standby's pull waits at the server, and the messages stay pending.
    for (let i = 0; i < THRESHOLD - 1; i++) await h.js.publish('overflow.work', '{}');
    await waitFor('the standby’s pull waiting beside 19 pending messages', async () => {
      const i = await info();
      return i.num_pending === THRESHOLD - 1 && i.num_waiting >= 1;
    });
    expect(handledBy.standby.size).toBe(0);

    // Past it: the server serves the standby.
    for (let i = 0; i < 30; i++) await h.js.publish('overflow.work', '{}');
    await waitFor('the standby to help with the backlog', () => handledBy.standby.size > 0, { timeout: 20_000 });

    // A primary pulls whatever the backlog: everything gets handled.
    await h.app(PrimaryModule, options);
    await waitFor('all 49 handled', () => new Set([...handledBy.primary, ...handledBy.standby]).size === THRESHOLD - 1 + 30, { timeout: 20_000 });
    await waitFor('nothing left', async () => {
      const i = await info();
      return i.num_pending === 0 && i.num_ack_pending === 0;
    });
  });
});
