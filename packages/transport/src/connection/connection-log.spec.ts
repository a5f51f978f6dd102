import type { LoggerService } from '@nestjs/common';
import { waitFor } from '@nest-jetstream/testing';
import { ConnectionLog, hostPort, whenSlow } from './connection-log.js';

class Lines implements LoggerService {
  readonly lines: string[] = [];
  log(m: string): void {
    this.lines.push(`log ${m}`);
  }
  warn(m: string): void {
    this.lines.push(`warn ${m}`);
  }
  error(m: string): void {
    this.lines.push(`error ${m}`);
  }
}

describe('ConnectionLog', () => {
  it('logs one line per transition, and reconnect attempts at most once per interval', () => {
    let now = 0;
    const out = new Lines();
    const log = new ConnectionLog(out, 10_000, () => now);
    log.disconnected('127.0.0.1:4222');
    log.disconnected('127.0.0.1:4222');
    for (let attempt = 1; attempt <= 250; attempt++) {
      log.reconnecting();
      now += 100; // an attempt every 100 ms for 25 s
    }
    log.reconnected('127.0.0.1:4222');
    log.reconnected('127.0.0.1:4222');
    expect(out.lines).toEqual([
      expect.stringMatching(/^warn Disconnected from NATS at 127\.0\.0\.1:4222: reconnecting/),
      'warn Reconnecting to NATS: attempt 1, disconnected for 0.0 s',
      'warn Reconnecting to NATS: attempt 101, disconnected for 10.0 s',
      'warn Reconnecting to NATS: attempt 201, disconnected for 20.0 s',
      'log Reconnected to NATS at 127.0.0.1:4222 after 25.0 s (250 attempt(s))',
    ]);
  });

  it('starts counting afresh at the next outage', () => {
    let now = 0;
    const out = new Lines();
    const log = new ConnectionLog(out, 10_000, () => now);
    log.disconnected('a:1');
    log.reconnecting();
    log.reconnected('a:1');
    now = 60_000;
    log.disconnected('a:1');
    log.reconnecting();
    now += 1_500;
    log.reconnected('a:1');
    expect(out.lines.filter((l) => l.startsWith('warn Disconnected'))).toHaveLength(2);
    expect(out.lines.at(-2)).toBe('warn Reconnecting to NATS: attempt 1, disconnected for 0.0 s');
    expect(out.lines.at(-1)).toBe('log Reconnected to NATS at a:1 after 1.5 s (1 attempt(s))');
  });
});

describe('hostPort', () => {
  it('keeps host and port only, never credentials', () => {
    expect(hostPort('127.0.0.1:4222')).toBe('127.0.0.1:4222');
    expect(hostPort('nats://user:secret@nats.example.com:4222')).toBe('nats.example.com:4222');
    expect(hostPort('tls://token@[::1]:4222/')).toBe('[::1]:4222');
    expect(hostPort('alice:s3cr3tPass@127.0.0.1:4999')).toBe('127.0.0.1:4999');
    expect(hostPort('tok123456@[2001:db8::1]:4999')).toBe('[2001:db8::1]:4999');
    expect(hostPort('wss+x://a:p@ss/w0rd@nats.example:443/ws?x=1')).toBe('nats.example:443');
  });
});

describe('whenSlow', () => {
  it('says nothing about quick work', async () => {
    const said: string[] = [];
    await expect(
      whenSlow(
        Promise.resolve(7),
        1_000,
        () => said.push('slow'),
        () => said.push('done'),
      ),
    ).resolves.toBe(7);
    expect(said).toEqual([]);
  });

  it('says when it waits, then when it is done', async () => {
    const said: string[] = [];
    let finish!: () => void;
    const work = new Promise<void>((resolve) => (finish = resolve));
    const waiting = whenSlow(
      work,
      20,
      (ms) => said.push(`slow ${ms >= 20}`),
      (ms) => said.push(`done ${ms >= 20}`),
    );
    await waitFor('the slow line', () => said.length > 0);
    expect(said).toEqual(['slow true']);
    finish();
    await waiting;
    expect(said).toEqual(['slow true', 'done true']);
  });
});
