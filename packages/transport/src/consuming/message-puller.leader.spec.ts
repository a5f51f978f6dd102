import type { ConsumerInfo, ConsumerNotification } from '@nats-io/jetstream';
import { TimeoutError } from '@nats-io/nats-core';
import { waitFor } from '@nest-jetstream/testing';
import { LeaderGuard, type RecoveryEvent } from '../connection/leader-guard.js';
import { FakeConsumer } from '../__fixtures__/fake-consumer.js';
import { fakeJsMsg } from '../__fixtures__/fake-js-msg.js';
import { CapturedLog } from '../__fixtures__/harness.js';
import type { ConsumerElections } from './leader-watch.js';
import { MessagePuller } from './message-puller.js';
import { FOLLOW_UP_EVERY_MS, REVIVE_GRACE_MS } from './pull-revival.js';

/** What the consumer's look-up answers after the first `consume()`. */
type Answer = 'leader' | 'no-leader' | 'timeout';

/** A puller on a fake consumer whose checks answer `answer`, with a leader guard on a connection that never moves (a lone server). */
function setup(elections?: ConsumerElections, movable?: { moves: number }) {
  const state: { answer: Answer; lookUps: number } = { answer: 'leader', lookUps: 0 };
  const consumer = new FakeConsumer();
  consumer.info = () =>
    Promise.resolve({ name: 'orders', num_pending: 0, cluster: { name: 'c', leader: state.answer === 'leader' ? 'n1' : undefined } } as ConsumerInfo);
  // `movable`: a cluster the guard may move the connection in, at once (no suspect time, lost time or cooldown); it counts the moves.
  const guard = new LeaderGuard(
    {
      reconnect: () => (movable && movable.moves++, Promise.resolve()),
      rtt: () => Promise.resolve(1),
      isClosed: () => false,
      getServers: () => (movable ? ['a:4222', 'b:4222'] : ['a:4222']),
    },
    () => undefined,
    movable ? { suspectMs: 0, lostMs: 0, cooldownMs: 0 } : {},
  );
  const events: RecoveryEvent[] = [];
  guard.onRecovery((e) => events.push(e));
  const received: unknown[] = [];
  const puller = new MessagePuller(
    {
      key: 'ORDERS/orders',
      maxMessages: 2,
      leaderGuard: guard,
      elections,
      consumer: () => {
        if (consumer.consumes.length === 0) return Promise.resolve(consumer);
        state.lookUps++;
        return state.answer === 'timeout' ? Promise.reject(new TimeoutError()) : Promise.resolve(consumer);
      },
    },
    new CapturedLog(),
    (msg) => received.push(msg),
    () => 0,
  );
  /** The client misses heartbeats and the puller's check answers `answer`: the guard holds the consumer for leaderless. */
  const leaderless = async (answer: Exclude<Answer, 'leader'> = 'no-leader') => {
    state.answer = answer;
    consumer.messages.notify({ type: 'heartbeats_missed', count: 2 });
    await waitFor('the consumer waiting for a leader', () => guard.waitingForLeader().length === 1);
  };
  return { puller, consumer, guard, events, state, received, leaderless };
}

describe('MessagePuller and the leader guard (fake consumer, no server)', () => {
  it('pulls with idle heartbeats of half the expiry (a lost pull is noticed after two missed ones)', async () => {
    const { puller, consumer } = setup();
    await puller.start();
    expect(consumer.consumes[0].options).toMatchObject({ idle_heartbeat: 2_500, expires: 5_000 });
    await puller.close();
  });

  it('counts one re-issued pull when a check after missed heartbeats finds the consumer with a leader, and one more only after a message came', async () => {
    const { puller, consumer, events, state } = setup();
    await puller.start();
    consumer.messages.notify({ type: 'heartbeats_missed', count: 2 });
    await waitFor('the first recovery', () => events.length === 1);
    consumer.messages.notify({ type: 'heartbeats_missed', count: 3 });
    await waitFor('the second look-up', () => state.lookUps === 2);
    expect(events).toEqual([{ cause: 'pull_reissued', consumer: 'ORDERS/orders' }]);
    consumer.messages.deliver(fakeJsMsg());
    consumer.messages.notify({ type: 'heartbeats_missed', count: 2 });
    await waitFor('the second recovery', () => events.length === 2);
    await puller.close();
  });

  it('tells the guard when a check finds no leader or goes unanswered, so readiness names the consumer until one answers with a leader', async () => {
    const { leaderless, puller, consumer, guard, events, state } = setup();
    await puller.start();
    await leaderless();
    state.answer = 'timeout';
    consumer.messages.notify({ type: 'heartbeats_missed', count: 3 });
    await waitFor('the unanswered look-up', () => state.lookUps === 2);
    expect(guard.waitingForLeader().map((w) => w.consumer)).toEqual(['ORDERS/orders']);
    expect(events).toEqual([]);
    state.answer = 'leader';
    consumer.messages.notify({ type: 'heartbeats_missed', count: 4 });
    await waitFor('the leader back', () => guard.waitingForLeader().length === 0);
    expect(events).toEqual([{ cause: 'pull_reissued', consumer: 'ORDERS/orders' }]);
    await puller.close();
  });

  it('forgets that the consumer waits for a leader once messages arrive again', async () => {
    const { leaderless, puller, consumer, guard } = setup();
    await puller.start();
    await leaderless();
    consumer.messages.deliver(fakeJsMsg());
    expect(guard.waitingForLeader()).toEqual([]);
    await puller.close();
  });

  it('pulls again at once when a check finds a leader and the client has sent no pull since its heartbeats went missing (its back-off)', async () => {
    const { puller, consumer } = setup();
    await puller.start();
    const stuck = consumer.messages;
    stuck.notify({ type: 'heartbeats_missed', count: 2 });
    await waitFor('a new consume()', () => consumer.consumes.length === 2);
    expect(stuck.isStopped).toBe(true);
    expect(consumer.messages.isStopped).toBe(false);
    // The new one delivers.
    consumer.messages.deliver(fakeJsMsg());
    await puller.close();
  });

  it("leaves the client's own re-pull alone, and a consumer without a leader to the client", async () => {
    const { puller, consumer, guard, state } = setup();
    await puller.start();
    consumer.messages.notify({ type: 'heartbeats_missed', count: 2 });
    consumer.messages.notify({ type: 'next', options: { batch: 2 } } as ConsumerNotification);
    await waitFor('the check after the missed heartbeats', () => state.lookUps === 1);
    state.answer = 'no-leader';
    consumer.messages.notify({ type: 'heartbeats_missed', count: 3 });
    await waitFor('the consumer waiting for a leader', () => guard.waitingForLeader().length === 1);
    await new Promise((r) => setTimeout(r, REVIVE_GRACE_MS * 2));
    expect(consumer.consumes).toHaveLength(1);
    await puller.close();
  });

  it('after a reconnect, checks the consumer until the client pulls, and pulls again itself once it has a leader', async () => {
    const { puller, consumer, guard } = setup();
    await puller.start();
    const stuck = consumer.messages;
    guard.reconnected();
    await waitFor('a new consume()', () => consumer.consumes.length === 2, { timeout: 10_000 });
    expect(stuck.isStopped).toBe(true);
    await puller.close();
  });

  it('after a reconnect, leaves a client that pulled by itself alone', async () => {
    const { puller, consumer, guard, state } = setup();
    await puller.start();
    guard.reconnected();
    consumer.messages.notify({ type: 'next', options: { batch: 2 } } as ConsumerNotification);
    await new Promise((r) => setTimeout(r, FOLLOW_UP_EVERY_MS + REVIVE_GRACE_MS * 2));
    expect(state.lookUps).toBe(0);
    expect(consumer.consumes).toHaveLength(1);
    await puller.close();
  });

  it('after a check without a leader, checks again every second (no missed heartbeat needed) and pulls again once one is elected', async () => {
    const { leaderless, puller, consumer, guard, state } = setup();
    await puller.start();
    await leaderless();
    state.answer = 'leader';
    await waitFor('a new consume()', () => consumer.consumes.length === 2, { timeout: 10_000 });
    expect(guard.waitingForLeader()).toEqual([]);
    await puller.close();
  });

  // Until a check finds a leader, readiness names the consumer: the checks must not stop when the pulling resumes
  // with no message to clear it (a CI run's readiness stayed 503 for 53 s after the election).
  it('after a check without a leader, goes on checking once the client pulls by itself, until a check finds one', async () => {
    const { leaderless, puller, consumer, guard, state } = setup();
    await puller.start();
    await leaderless();
    consumer.messages.notify({ type: 'next', options: { batch: 2 } } as ConsumerNotification);
    const before = state.lookUps;
    await waitFor('a check after the pull', () => state.lookUps > before, { timeout: 5_000 });
    expect(guard.waitingForLeader().map((w) => w.consumer)).toEqual(['ORDERS/orders']);
    state.answer = 'leader';
    await waitFor('the leader found', () => guard.waitingForLeader().length === 0, { timeout: 5_000 });
    expect(consumer.consumes).toHaveLength(1);
    await puller.close();
  });

  it("after a check without a leader, goes on checking the election's re-pull until a check finds one, and counts the re-pull once", async () => {
    let elected: (() => void) | undefined;
    const repulls: string[] = [];
    const { leaderless, puller, consumer, guard, events, state } = setup({
      watch: (listener) => ((elected = listener), () => undefined),
      repulled: () => repulls.push('ORDERS/orders'),
    });
    await puller.start();
    await leaderless();
    elected!();
    await waitFor("the election's re-pull", () => consumer.consumes.length === 2 && repulls.length === 1, { timeout: 5_000 });
    state.answer = 'leader';
    await waitFor('the leader found', () => guard.waitingForLeader().length === 0, { timeout: 5_000 });
    expect(events).toEqual([]); // the re-pull is counted as leader_elected (by the watch), not again as a re-issued pull
    expect(consumer.consumes).toHaveLength(2);
    await puller.close();
  });

  it('does not count the failures of those later checks toward a move: a slow API under a healthy pull moves nothing', async () => {
    const movable = { moves: 0 };
    const { leaderless, puller, consumer, guard, state } = setup(undefined, movable);
    await puller.start();
    await leaderless('timeout');
    consumer.messages.notify({ type: 'next', options: { batch: 2 } } as ConsumerNotification);
    const before = state.lookUps;
    await waitFor('two unanswered checks after the pull', () => state.lookUps >= before + 2, { timeout: 5_000 });
    expect(movable.moves).toBe(0);
    expect(guard.waitingForLeader().map((w) => w.consumer)).toEqual(['ORDERS/orders']);
    state.answer = 'leader';
    await waitFor('the leader found', () => guard.waitingForLeader().length === 0, { timeout: 5_000 });
    expect(movable.moves).toBe(0);
    await puller.close();
  });
});
