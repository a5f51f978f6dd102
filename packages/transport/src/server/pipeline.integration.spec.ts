import {
  Controller,
  Injectable,
  Module,
  UseFilters,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { delay, tap, type Observable } from 'rxjs';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, Probe, uniqueName } from '../__fixtures__/harness.js';
import { Ignorable, swallowIgnorable } from '../__fixtures__/swallow-filter.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import type { TerminatedMessageEvent } from '../events/settle.events.js';

const probe = new Probe<string>();

@Injectable()
class DenyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const data = context.switchToRpc().getData<{ deny?: boolean }>();
    probe.add(`guard:${data.deny ? 'deny' : 'allow'}`);
    return !data.deny;
  }
}

@Injectable()
class SlowAfterInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const ctx = context.switchToRpc().getContext<JetStreamContext>();
    probe.add(`before:${ctx.getInfo().streamSequence}`);
    return next.handle().pipe(
      delay(400),
      tap(() => probe.add(`after:${ctx.getInfo().streamSequence}`)),
    );
  }
}

const SwallowIgnorable = swallowIgnorable(probe);

@Controller()
class PipelineController {
  @JetStreamEvent('pipe.guarded', { maxDeliver: 2, backoff: ['100ms'] })
  @UseGuards(DenyGuard)
  guarded(@Payload() data: { id: string }) {
    probe.add(`guarded:${data.id}`);
  }

  @JetStreamEvent('pipe.intercepted')
  @UseInterceptors(SlowAfterInterceptor)
  intercepted(@Payload() data: { id: string }) {
    probe.add(`intercepted:${data.id}`);
    return { done: true };
  }

  @JetStreamEvent('pipe.filtered')
  @UseFilters(SwallowIgnorable)
  filtered(@Payload() data: { id: string }) {
    probe.add(`filtered:${data.id}`);
    throw new Ignorable(data.id);
  }

  // Two handlers of one subject, each with its own durable: each gets every message once.
  @JetStreamEvent('pipe.fanout', { durable: 'fan_a' })
  fanA(@Payload() data: { id: string }) {
    probe.add(`fanA:${data.id}`);
  }

  @JetStreamEvent('pipe.fanout', { durable: 'fan_b' })
  fanB(@Payload() data: { id: string }) {
    probe.add(`fanB:${data.id}`);
  }
}

@Module({ controllers: [PipelineController] })
class PipelineModule {}

describe('guards, interceptors and exception filters on JetStream handlers (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('PIPE');
  const terminated: TerminatedMessageEvent[] = [];
  beforeAll(async () => {
    await h.start();
    const { strategy } = await h.app(PipelineModule, { serviceName: 'pipe', streams: [{ name: stream, subjects: ['pipe.>'] }] });
    strategy.on('terminated', (e) => terminated.push(e));
  });
  afterAll(() => h.stop());
  const ackPending = async (durable: string) => (await h.jsm.consumers.info(stream, durable)).num_ack_pending;

  it('runs guards: an allowed message is handled and acked', async () => {
    await h.js.publish('pipe.guarded', JSON.stringify({ id: 'ok' }));
    await waitFor('the guarded handler', () => probe.count((p) => p === 'guarded:ok') === 1);
    await waitFor('the ack', async () => (await ackPending('pipe__pipe_guarded')) === 0);
  });

  it('a guard that denies keeps the handler from running; the message ends terminated after its attempts', async () => {
    const { seq } = await h.js.publish('pipe.guarded', JSON.stringify({ id: 'no', deny: true }));
    await waitFor('the terminated event', () => terminated.find((t) => t.streamSequence === seq));
    expect(terminated.find((t) => t.streamSequence === seq)!.reason).toMatch(/Forbidden/);
    expect(probe.count((p) => p === 'guard:deny')).toBe(2);
    expect(probe.count((p) => p === 'guarded:no')).toBe(0);
  });

  it('settles only after the interceptor stream completes', async () => {
    const { seq } = await h.js.publish('pipe.intercepted', JSON.stringify({ id: 'i1' }));
    await waitFor('the handler', () => probe.count((p) => p === 'intercepted:i1') === 1);
    // The interceptor holds the result 400 ms: the message is not acked before it lets go.
    expect(probe.count((p) => p === `after:${seq}`)).toBe(0);
    expect(await ackPending('pipe__pipe_intercepted')).toBe(1);
    await waitFor('the interceptor to finish', () => probe.count((p) => p === `after:${seq}`) === 1);
    await waitFor('the ack', async () => (await ackPending('pipe__pipe_intercepted')) === 0);
  });

  it("lets the app's exception filter decide: a swallowed error acks", async () => {
    await h.js.publish('pipe.filtered', JSON.stringify({ id: 'f1' }));
    await waitFor('the filter', () => probe.count((p) => p === 'filter:f1') === 1);
    await waitFor('the ack', async () => (await ackPending('pipe__pipe_filtered')) === 0);
    expect((await h.jsm.consumers.info(stream, 'pipe__pipe_filtered')).num_redelivered).toBe(0);
  });

  it('two handlers of one subject (two durables) each run once per message, never each other', async () => {
    await h.js.publish('pipe.fanout', JSON.stringify({ id: 'x1' }));
    await waitFor(
      'both acks',
      async () => (await ackPending('fan_a')) === 0 && (await ackPending('fan_b')) === 0 && probe.count((p) => p.endsWith(':x1')) >= 2,
    );
    await waitFor(
      'both consumers to have delivered',
      async () =>
        (await h.jsm.consumers.info(stream, 'fan_a')).delivered.stream_seq > 0 && (await h.jsm.consumers.info(stream, 'fan_b')).delivered.stream_seq > 0,
    );
    // A second message flushes out any late double call of the first.
    await h.js.publish('pipe.fanout', JSON.stringify({ id: 'x2' }));
    await waitFor('the second message, twice', () => probe.count((p) => p.endsWith(':x2')) >= 2);
    await waitFor('both acks', async () => (await ackPending('fan_a')) === 0 && (await ackPending('fan_b')) === 0);
    expect(probe.seen.filter((p) => p.startsWith('fan')).sort()).toEqual(['fanA:x1', 'fanA:x2', 'fanB:x1', 'fanB:x2']);
  });
});
