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

// minAckPending: a primary that holds its messages (5 running, 1 prefetched) keeps at least 5
// unacknowledged, and only then is the standby served what waits behind them.
const ACK_THRESHOLD = 5;
let releaseHeld!: () => void;
const held = new Promise<void>((resolve) => (releaseHeld = resolve));
const ackHandled = { primary: new Set<number>(), standby: new Set<number>() };

@Controller()
class HoldingPrimaryController {
  @JetStreamEvent('overflow.acks', { overflow: { minAckPending: ACK_THRESHOLD }, concurrency: ACK_THRESHOLD, prefetch: 1 })
  async work(_data: unknown, @Ctx() ctx: JetStreamContext) {
    await held;
    ackHandled.primary.add(ctx.getInfo().streamSequence);
  }
}

@Controller()
class AckStandbyController {
  @JetStreamEvent('overflow.acks', { overflow: { minAckPending: ACK_THRESHOLD, standby: true } })
  work(_data: unknown, @Ctx() ctx: JetStreamContext) {
    ackHandled.standby.add(ctx.getInfo().streamSequence);
  }
}

@Module({ controllers: [HoldingPrimaryController] })
class HoldingPrimaryModule {}

@Module({ controllers: [AckStandbyController] })
class AckStandbyModule {}

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

  it('serves a minAckPending standby only while that many messages are delivered and unsettled (2.11+)', async () => {
    if (!versionAtLeast(h.nc.info!.version, CONSUMER_FEATURES.overflow.minServer)) return;
    const durableAcks = 'overflow-spec__overflow_acks';
    const info = () => h.jsm.consumers.info(stream, durableAcks);
    await h.app(AckStandbyModule, options);
    // Nothing unacknowledged: the standby's pull waits beside the pending messages.
    for (let i = 0; i < 3; i++) await h.js.publish('overflow.acks', '{}');
    await waitFor('the standby’s pull waiting beside 3 pending messages', async () => {
      const i = await info();
      return i.num_pending === 3 && i.num_ack_pending === 0 && i.num_waiting >= 1;
    });
    expect(ackHandled.standby.size).toBe(0);

    // A primary that holds what it takes: at least 5 unacknowledged, and the backlog behind them goes to the standby.
    await h.app(HoldingPrimaryModule, options);
    for (let i = 0; i < 20; i++) await h.js.publish('overflow.acks', '{}');
    await waitFor('the standby to be served past minAckPending', () => ackHandled.standby.size > 0, { timeout: 20_000 });
    expect((await info()).num_ack_pending).toBeGreaterThanOrEqual(ACK_THRESHOLD);

    releaseHeld();
    await waitFor('all 23 handled', () => new Set([...ackHandled.primary, ...ackHandled.standby]).size === 23, { timeout: 20_000 });
    await waitFor('nothing left', async () => {
      const i = await info();
      return i.num_pending === 0 && i.num_ack_pending === 0;
    });
  });
});
