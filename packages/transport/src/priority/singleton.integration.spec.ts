import { join } from 'node:path';
import { Controller, Module } from '@nestjs/common';
import { NdjsonProcess, waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { ConsumerFeatureUnsupportedError } from '../errors/consumer-feature.error.js';
import { versionAtLeast } from '../utils/server-version.js';
import { CONSUMER_FEATURES } from '../delivery/consumer-features.js';

// Two instances of a singleton handler (real processes): only the pinned one handles; SIGKILL it
// and the other takes over within takeoverAfter; every published message is handled (what the
// killed one took and never acked is redelivered after ackWait).

const fixture = join(__dirname, '..', '__fixtures__', 'singleton-consumer.ts');
const register = join(__dirname, '../../../../scripts/register.cjs');
type Line = { event: string; pid: number; seq?: number; holder?: string };

@Controller()
class OldServerController {
  @JetStreamEvent('single.old', { singleton: true })
  handle() {}
}

@Module({ controllers: [OldServerController] })
class OldServerModule {}

describe('singleton handlers: priority policy pinned_client (real nats-server, real processes)', () => {
  const h = new Harness();
  const stream = uniqueName('SINGLE');

  beforeAll(async () => {
    await h.start();
    await h.jsm.streams.add({ name: stream, subjects: ['single.>'] });
  });
  afterAll(() => h.stop());

  const supported = () => versionAtLeast(h.nc.info!.version, CONSUMER_FEATURES.singleton.minServer);

  it('refuses to boot on a server older than 2.11, naming the version', async () => {
    if (supported()) return;
    const boot = h.app(OldServerModule, { serviceName: 'single-old' });
    await expect(boot).rejects.toThrow(ConsumerFeatureUnsupportedError);
    await expect(boot).rejects.toThrow(
      `Handler "single.old" (singleton) needs singleton handlers (priority policy pinned_client), which arrived in nats-server 2.11.0; the connected server is ${h.nc.info!.version}.`,
    );
  });

  it('lets one instance handle at a time, and another take over when it is killed, losing nothing', async () => {
    if (!supported()) return;
    const spawn = () => NdjsonProcess.spawn<Line>(process.execPath, ['-r', register, fixture], { env: { ...process.env, NATS_URL: h.server.url } });
    const a = spawn();
    const b = spawn();
    const all = () => [...a.lines, ...b.lines];
    const handledSeqs = () => new Set(all().flatMap((l) => (l.event === 'handled' && l.seq !== undefined ? [l.seq] : [])));
    try {
      await Promise.all([a, b].map((p) => p.waitForLine('both instances ready', (l) => l.event === 'ready', { timeout: 60_000 })));
      const published: number[] = [];
      for (let i = 0; i < 20; i++) published.push((await h.js.publish('single.work', '{}')).seq);
      await waitFor('the first 20 handled', () => published.every((s) => handledSeqs().has(s)), { timeout: 20_000 });
      const handlers = new Set(all().flatMap((l) => (l.event === 'handled' ? [l.pid] : [])));
      expect(handlers.size).toBe(1);
      const [holder, other] = a.pid !== undefined && handlers.has(a.pid) ? [a, b] : [b, a];
      await holder.waitForLine('the holder’s readiness to say it holds the pin', (l) => l.event === 'pin' && l.holder === 'this instance');
      await other.waitForLine('the other’s readiness to say another instance holds it', (l) => l.event === 'pin' && l.holder === 'another instance');

      holder.signal('SIGKILL');
      for (let i = 0; i < 10; i++) published.push((await h.js.publish('single.work', '{}')).seq);
      await waitFor('every message handled after the takeover', () => published.every((s) => handledSeqs().has(s)), { timeout: 60_000 });
      expect(other.lines.some((l) => l.event === 'handled')).toBe(true);
      await other.waitForLine('the survivor’s readiness to say it holds the pin', (l) => l.event === 'pin' && l.holder === 'this instance', {
        timeout: 20_000,
      });
      await waitFor('nothing left pending', async () => {
        const info = await h.jsm.consumers.info(stream, 'single__single_work');
        return info.num_pending === 0 && info.num_ack_pending === 0;
      });
    } finally {
      await Promise.all([a.kill(), b.kill()]);
    }
  });
});
