import type { Server } from '@nats-io/nats-core';
import { LeaderGuard, type MovableConnection, type RecoveryEvent } from './leader-guard.js';
import { attachSteering, ReconnectSteering } from './reconnect-steering.js';

/**
 * A connection whose PING answers or not, counting moves: `announced` the servers the connected
 * one announces (only itself: it lost its routes), `pool` the servers the client knows.
 */
function fakeConnection({
  ping = true,
  announced = ['a:4222'],
  pool = ['a:4222', 'b:4222', 'c:4222'],
}: { ping?: boolean | 'never'; announced?: string[]; pool?: string[] } = {}) {
  const state = { moves: 0, ping, closed: false };
  const nc: MovableConnection = {
    info: { connect_urls: announced },
    getServers: () => pool,
    getServer: () => pool[0],
    isClosed: () => state.closed,
    reconnect: async () => {
      state.moves++;
    },
    rtt: () => (state.ping === 'never' ? new Promise<number>(() => undefined) : state.ping ? Promise.resolve(1) : Promise.reject(new Error('disconnected'))),
  };
  return { nc, state };
}

function guardWith(nc: MovableConnection) {
  let now = 0;
  const lines: string[] = [];
  const events: RecoveryEvent[] = [];
  const guard = new LeaderGuard(
    nc,
    (l) => lines.push(l),
    { minFailures: 2, suspectMs: 2_500, cutOffMs: 2_500, cooldownMs: 30_000, pingTimeoutMs: 50 },
    () => now,
  );
  guard.onRecovery((e) => events.push(e));
  return { guard, lines, events, at: (ms: number) => (now = ms) };
}

describe('LeaderGuard', () => {
  it('moves the connection once the checks of a consumer went unanswered twice over the suspect time while the server answers PINGs and lost its routes', async () => {
    const { nc, state } = fakeConnection();
    const { guard, events, lines, at } = guardWith(nc);
    at(3_500);
    await guard.report('S/d', 'timeout', 2_000);
    expect(state.moves).toBe(0);
    at(5_500);
    await guard.report('S/d', 'timeout', 4_000);
    expect(state.moves).toBe(1);
    expect(events).toEqual([{ cause: 'connection_moved', consumer: 'S/d' }]);
    expect(lines[0]).toMatch(
      /^Consumer S\/d: 2 checks over 4 s found no leader through this server while it answers PINGs \(it has no route to the other servers\)/,
    );
    expect(guard.waitingForLeader()).toEqual([]);
  });

  it('does not move before the suspect time, however many checks failed', async () => {
    const { nc, state } = fakeConnection();
    const { guard, at } = guardWith(nc);
    for (const t of [100, 500, 1_000, 2_000]) {
      at(t);
      await guard.report('S/d', 'timeout', 0);
    }
    expect(state.moves).toBe(0);
    expect(guard.waitingForLeader()).toEqual([{ consumer: 'S/d', forMs: 2_000 }]);
  });

  it('never moves when an answer with a leader comes between failures (a slow but healthy server)', async () => {
    const { nc, state } = fakeConnection();
    const { guard, at } = guardWith(nc);
    for (let t = 0; t < 60_000; t += 2_000) {
      at(t + 1_999);
      await guard.report('S/d', t % 4_000 === 0 ? 'timeout' : 'leader', t);
    }
    expect(state.moves).toBe(0);
  });

  it('does not move while the server itself does not answer (the client reconnects by itself) or the cluster offers no other server', async () => {
    for (const setup of [{ ping: false }, { ping: 'never' as const }, { pool: ['a:4222'] }]) {
      const { nc, state } = fakeConnection(setup);
      const { guard, at } = guardWith(nc);
      at(1_000);
      await guard.report('S/d', 'timeout', 0);
      at(5_000);
      await guard.report('S/d', 'no-leader', 3_000);
      expect(state.moves).toBe(0);
    }
  });

  it('waits out an ordinary election on a server that still has routes, and moves only once the checks failed for longer', async () => {
    const { nc, state } = fakeConnection({ announced: ['a:4222', 'b:4222'] });
    const { guard, lines, at } = guardWith(nc);
    for (let t = 0; t < 9_000; t += 1_500) {
      at(t + 1_500);
      await guard.report('S/d', t % 3_000 ? 'no-leader' : 'timeout', t);
    }
    expect(state.moves).toBe(0);
    expect(guard.waitingForLeader()).toEqual([{ consumer: 'S/d', forMs: 9_000 }]);
    at(10_500);
    await guard.report('S/d', 'timeout', 9_000);
    expect(state.moves).toBe(1);
    expect(lines[0]).toMatch(/\(for longer than an election\)/);
  });

  it('moves at most once per cooldown', async () => {
    const { nc, state } = fakeConnection();
    const { guard, at } = guardWith(nc);
    const fail = async (from: number) => {
      at(from + 1_000);
      await guard.report('S/d', 'timeout', from);
      at(from + 4_000);
      await guard.report('S/d', 'timeout', from + 3_000);
    };
    await fail(0);
    await fail(10_000);
    expect(state.moves).toBe(1);
    await fail(40_000);
    expect(state.moves).toBe(2);
  });

  it('reports the consumers waiting for a leader, and forgets one once it answers with a leader', async () => {
    const { nc } = fakeConnection({ pool: ['a:4222'] });
    const { guard, at } = guardWith(nc);
    at(1_000);
    await guard.report('S/a', 'no-leader', 0);
    await guard.report('S/b', 'timeout', 500);
    at(3_000);
    expect(guard.waitingForLeader()).toEqual([
      { consumer: 'S/a', forMs: 3_000 },
      { consumer: 'S/b', forMs: 2_500 },
    ]);
    await guard.report('S/a', 'leader');
    expect(guard.waitingForLeader().map((w) => w.consumer)).toEqual(['S/b']);
  });

  it('passes the other recoveries on to its listeners', () => {
    const { nc } = fakeConnection();
    const { guard, events } = guardWith(nc);
    guard.recovered('S/d', 'pull_reissued');
    guard.recovered('S/d', 'consumer_recreated');
    expect(events.map((e) => e.cause)).toEqual(['pull_reissued', 'consumer_recreated']);
  });

  it('moves off a server that announced only itself (its routes lost) for the cut-off time, once', async () => {
    const { nc, state } = fakeConnection();
    const { guard, events, lines, at } = guardWith(nc);
    at(0);
    await guard.poll();
    at(2_000);
    await guard.poll();
    expect(state.moves).toBe(0);
    at(3_000);
    await guard.poll();
    expect(state.moves).toBe(1);
    expect(events).toEqual([{ cause: 'connection_moved', consumer: '' }]);
    expect(lines[0]).toMatch(/announced no other server for 3 s/);
    at(6_000);
    await guard.poll();
    expect(state.moves).toBe(1);
  });

  it('never moves off a server that announces others, however long it runs, nor when the client knows no other server', async () => {
    const routed = fakeConnection({ announced: ['a:4222', 'b:4222', 'c:4222'] });
    const alone = fakeConnection({ pool: ['a:4222'] });
    for (const { nc, state } of [routed, alone]) {
      const { guard, at } = guardWith(nc);
      for (let t = 0; t <= 60_000; t += 1_000) {
        at(t);
        await guard.poll();
      }
      expect(state.moves).toBe(0);
    }
  });

  it('starts the cut-off time over when the server announces others again (routes back after a restart)', async () => {
    const announced = ['a:4222'];
    const { nc, state } = fakeConnection({ announced });
    const { guard, at } = guardWith(nc);
    at(0);
    await guard.poll();
    announced.push('b:4222');
    at(2_000);
    await guard.poll();
    announced.pop();
    at(3_000);
    await guard.poll();
    at(5_000);
    await guard.poll();
    expect(state.moves).toBe(0);
  });

  it('steers the reconnect of a move to another server than the one it leaves (the client would dial the first of its pool: that one)', async () => {
    const { nc } = fakeConnection();
    const steering = new ReconnectSteering();
    attachSteering(nc, steering);
    const { guard, at } = guardWith(nc);
    at(0);
    await guard.poll();
    at(3_000);
    await guard.poll();
    const pool = ['a:4222', 'b:4222', 'c:4222'].map((listen) => ({ listen }) as Server);
    expect(steering.handler(pool, null)).toBe(pool[1]);
    // Once: the next attempt is the client's own choice again.
    expect(steering.handler(pool, null)).toBeNull();
  });
});
