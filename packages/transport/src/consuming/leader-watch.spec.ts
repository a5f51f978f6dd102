import type { ConsumerNotification } from '@nats-io/jetstream';
import { waitFor } from '@nest-jetstream/testing';
import type { RecoveryEvent } from '../connection/leader-guard.js';
import { FakeConsumer } from '../__fixtures__/fake-consumer.js';
import { fakeJsMsg } from '../__fixtures__/fake-js-msg.js';
import { CapturedLog } from '../__fixtures__/harness.js';
import { ElectionFollower, LeaderWatch, consumerElections, leaderElectedSubject, type ConsumerElections } from './leader-watch.js';
import { MessagePuller } from './message-puller.js';

type Callback = (err: Error | null, msg: unknown) => void;

/** A connection whose subscriptions the test calls back itself. */
class FakeAdvisories {
  readonly subs = new Map<string, Callback>();
  subscribed: string[] = [];
  unsubscribed: string[] = [];
  subscribe(subject: string, opts: { callback: Callback }) {
    this.subscribed.push(subject);
    this.subs.set(subject, opts.callback);
    return { unsubscribe: () => (this.unsubscribed.push(subject), this.subs.delete(subject)) };
  }
  /** The server announces a new leader of `stream`/`durable`. */
  elect(stream: string, durable: string): void {
    this.subs.get(leaderElectedSubject(stream, durable))?.(null, {});
  }
}

const GRACE = 5;

describe('LeaderWatch (one subscription per consumer and connection)', () => {
  it('shares one subscription among the pullers of a consumer, calls each on an election, and drops it when the last leaves', () => {
    const nc = new FakeAdvisories();
    const watch = new LeaderWatch(nc, () => undefined);
    const calls: string[] = [];
    const a = watch.watch('ORDERS', 'orders', () => calls.push('a'));
    const b = watch.watch('ORDERS', 'orders', () => calls.push('b'));
    const c = watch.watch('ORDERS', 'billing', () => calls.push('c'));
    expect(nc.subscribed).toEqual(['$JS.EVENT.ADVISORY.CONSUMER.LEADER_ELECTED.ORDERS.orders', '$JS.EVENT.ADVISORY.CONSUMER.LEADER_ELECTED.ORDERS.billing']);
    nc.elect('ORDERS', 'orders');
    expect(calls).toEqual(['a', 'b']);
    a();
    expect(nc.unsubscribed).toEqual([]);
    b();
    c();
    expect(nc.unsubscribed).toEqual(['$JS.EVENT.ADVISORY.CONSUMER.LEADER_ELECTED.ORDERS.orders', '$JS.EVENT.ADVISORY.CONSUMER.LEADER_ELECTED.ORDERS.billing']);
    expect(watch.size).toBe(0);
  });

  it('ignores a subscription error (permissions that deny the advisory) and counts re-pulls with the cause leader_elected', () => {
    const nc = new FakeAdvisories();
    const events: RecoveryEvent[] = [];
    const watch = new LeaderWatch(nc, (e) => events.push(e));
    const calls: number[] = [];
    const elections = consumerElections(watch, 'ORDERS', 'orders');
    elections.watch(() => calls.push(1));
    nc.subs.get(leaderElectedSubject('ORDERS', 'orders'))?.(new Error('Permissions Violation'), undefined);
    expect(calls).toEqual([]);
    elections.repulled();
    expect(events).toEqual([{ cause: 'leader_elected', consumer: 'ORDERS/orders' }]);
  });
});

/** A follower whose hooks the test sets; `fire()` is the advisory. */
function follower(init: { live?: boolean; holdsBack?: boolean; repulls?: boolean } = {}) {
  const state = { live: true, holdsBack: false, repulls: true, ...init, pulls: 0, counted: 0 };
  let fire = () => undefined as void;
  const elections: ConsumerElections = {
    watch: (listener) => ((fire = listener), () => (fire = () => undefined)),
    repulled: () => state.counted++,
  };
  const f = new ElectionFollower(
    elections,
    {
      live: () => state.live,
      holdsBack: () => state.holdsBack,
      repull: () => (state.pulls++, Promise.resolve(state.repulls)),
    },
    GRACE,
  );
  f.start();
  return { f, state, fire: () => fire() };
}

const quiet = () => new Promise((r) => setTimeout(r, GRACE * 10));

describe('ElectionFollower (decides whether a pull was left at the old leader)', () => {
  it('pulls again and counts it when, after an election, no message came and the client sent no pull', async () => {
    const { state, fire, f } = follower();
    fire();
    await waitFor('the re-pull', () => state.pulls === 1);
    expect(state.counted).toBe(1);
    await quiet();
    expect(state.pulls).toBe(1);
    f.stop();
  });

  it('does nothing when a message arrived or the client pulled by itself within the grace', async () => {
    const a = follower();
    a.fire();
    a.f.arrived();
    const b = follower();
    b.fire();
    b.f.status('heartbeat');
    b.f.status('next');
    await quiet();
    expect([a.state.pulls, b.state.pulls]).toEqual([0, 0]);
  });

  it('does nothing for a puller that is closing or healing; a failed re-pull is tried again and counts no recovery', async () => {
    const closing = follower({ live: false });
    closing.fire();
    const failing = follower({ repulls: false });
    failing.fire();
    await waitFor('the failed re-pull tried again', () => failing.state.pulls >= 2);
    failing.f.stop();
    await quiet();
    expect([closing.state.pulls, failing.state.counted]).toEqual([0, 0]);
  });

  it('waits while the prefetch window holds a pull back, and pulls once it no longer does (unless a pull went out meanwhile)', async () => {
    const held = follower({ holdsBack: true });
    held.fire();
    await quiet();
    expect(held.state.pulls).toBe(0);
    held.state.holdsBack = false;
    await waitFor('the re-pull once nothing is held back', () => held.state.pulls === 1);
    const resumed = follower({ holdsBack: true });
    resumed.fire();
    await quiet();
    resumed.f.status('next');
    resumed.state.holdsBack = false;
    await quiet();
    expect(resumed.state.pulls).toBe(0);
  });

  it('stops watching on stop(): a later election does nothing', async () => {
    const { state, fire, f } = follower();
    f.stop();
    fire();
    await quiet();
    expect(state.pulls).toBe(0);
  });
});

describe('MessagePuller after an election of its consumer (fake consumer, no server)', () => {
  function setup() {
    const nc = new FakeAdvisories();
    const events: RecoveryEvent[] = [];
    const watch = new LeaderWatch(nc, (e) => events.push(e));
    const consumer = new FakeConsumer();
    // While `hold` is set, looking the consumer up waits for it (a consumer info mid-election).
    const lookUp: { hold?: Promise<void>; fail?: number } = {};
    const target = {
      key: 'ORDERS/orders',
      maxMessages: 2,
      elections: consumerElections(watch, 'ORDERS', 'orders'),
      consumer: async () => {
        await lookUp.hold;
        if ((lookUp.fail ?? 0) > 0 && lookUp.fail!--) throw new Error('TimeoutError: timeout'); // its info unanswered
        return consumer;
      },
    };
    const puller = new MessagePuller(target, new CapturedLog(), () => undefined);
    /** The server elects a new leader of the consumer. */
    const elect = () => nc.elect('ORDERS', 'orders');
    return { nc, events, consumer, puller, watch, elect, lookUp };
  }

  it('starts a new consume() and stops the stuck one when the consumer has a new leader and its pull went quiet', async () => {
    const { events, consumer, puller, watch, elect } = setup();
    await puller.start();
    const stuck = consumer.messages;
    elect();
    await waitFor('a new consume()', () => consumer.consumes.length === 2);
    await waitFor('the stuck one stopped', () => stuck.isStopped);
    expect(consumer.messages.isStopped).toBe(false);
    expect(events).toEqual([{ cause: 'leader_elected', consumer: 'ORDERS/orders' }]);
    await puller.close();
    expect(watch.size).toBe(0);
  });

  it('leaves a pull that delivers after the election alone', async () => {
    const { events, consumer, puller, elect } = setup();
    await puller.start();
    elect();
    consumer.messages.deliver(fakeJsMsg());
    consumer.messages.notify({ type: 'next', options: { batch: 1 } } as ConsumerNotification);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(consumer.consumes).toHaveLength(1);
    expect(events).toEqual([]);
    await puller.close();
  });

  it('runs one re-pull at a time: a second election while the first re-pull waits for the consumer leaves one open consume()', async () => {
    const { events, consumer, puller, elect, lookUp } = setup();
    await puller.start();
    let answer!: () => void;
    lookUp.hold = new Promise<void>((r) => (answer = r));
    elect();
    await new Promise((r) => setTimeout(r, 700)); // the first re-pull now waits for the consumer's info
    elect();
    await new Promise((r) => setTimeout(r, 700)); // the second election's grace is over
    answer();
    await waitFor('the re-pull done', () => consumer.consumes.length === 2 && consumer.consumes[0].messages.isStopped);
    await new Promise((r) => setTimeout(r, 700));
    expect(consumer.consumes).toHaveLength(2);
    expect(consumer.consumes.filter((c) => !c.messages.isStopped && !c.messages.isClosed)).toHaveLength(1);
    expect(events).toEqual([{ cause: 'leader_elected', consumer: 'ORDERS/orders' }]);
    await puller.close();
  });

  it("tries again when the re-pull's look-up of the consumer failed (mid-election), and counts the one that worked", async () => {
    const { events, consumer, puller, elect, lookUp } = setup();
    await puller.start();
    lookUp.fail = 2;
    elect();
    await waitFor('a new consume() after two failed look-ups', () => consumer.consumes.length === 2, { timeout: 5_000 });
    expect(lookUp.fail).toBe(0);
    await waitFor('the stuck one stopped', () => consumer.consumes[0].messages.isStopped);
    expect(events).toEqual([{ cause: 'leader_elected', consumer: 'ORDERS/orders' }]);
    await puller.close();
  });

  it('closes what a re-pull opens when the puller closed meanwhile, and counts no recovery', async () => {
    const { events, consumer, puller, elect, lookUp } = setup();
    await puller.start();
    let answer!: () => void;
    lookUp.hold = new Promise<void>((r) => (answer = r));
    elect();
    await new Promise((r) => setTimeout(r, 700));
    await puller.close();
    answer();
    await waitFor('the late consume() closed', () => consumer.consumes.length === 2 && consumer.consumes[1].messages.isClosed);
    expect(events).toEqual([]);
  });

  it('does not watch elections for an ordered consumer (the client recreates it)', async () => {
    const { consumer, watch } = setup();
    const ordered = new MessagePuller(
      { key: 'ORDERS/o', maxMessages: 2, ordered: true, elections: consumerElections(watch, 'ORDERS', 'o'), consumer: () => Promise.resolve(consumer) },
      new CapturedLog(),
      () => undefined,
    );
    await ordered.start();
    expect(watch.size).toBe(0);
    await ordered.close();
  });
});
