import type { Server, ServerInfo } from '@nats-io/nats-core';
import { attachSteering, avoidOnReconnect, ReconnectSteering } from './reconnect-steering.js';

const pool = ['a:4222', 'b:4222', 'c:4222'].map((listen) => ({ listen }) as Server);

describe('ReconnectSteering', () => {
  it("leaves the client's choice alone until a server is to be avoided", () => {
    expect(new ReconnectSteering().handler(pool, null)).toBeNull();
  });

  it('dials another server of the pool once after avoid(), then defers to the client again', () => {
    const steering = new ReconnectSteering();
    steering.avoid('a:4222');
    expect(steering.handler(pool, null)).toBe(pool[1]);
    expect(steering.handler(pool, null)).toBeNull();
  });

  it("asks the app's own handler whenever no server is avoided, or when the pool has no other server", () => {
    const own = jest.fn((p: ReadonlyArray<Server>, _info: ServerInfo | null) => p[p.length - 1]);
    const steering = new ReconnectSteering(own);
    expect(steering.handler(pool, null)).toBe(pool[2]);
    steering.avoid('a:4222');
    expect(steering.handler(pool, null)).toBe(pool[1]);
    expect(own).toHaveBeenCalledTimes(1);
    steering.avoid('a:4222');
    expect(steering.handler([pool[0]], null)).toBe(pool[0]);
  });

  it('is found by its connection; a connection without one is left alone', () => {
    const nc = {};
    const steering = new ReconnectSteering();
    attachSteering(nc, steering);
    avoidOnReconnect(nc, 'b:4222');
    avoidOnReconnect({}, 'a:4222');
    expect(steering.handler(pool, null)).toBe(pool[0]);
  });
});
