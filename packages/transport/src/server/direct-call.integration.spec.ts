import {
  BadRequestException,
  Controller,
  createParamDecorator,
  Injectable,
  Module,
  Scope,
  UseFilters,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type INestMicroservice,
  type NestInterceptor,
  type PipeTransform,
  type Type,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { of, tap, throwError, type Observable } from 'rxjs';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, Probe, uniqueName } from '../__fixtures__/harness.js';
import { Ignorable, swallowIgnorable } from '../__fixtures__/swallow-filter.js';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import type { TerminatedMessageEvent } from '../events/settle.events.js';
import type { JetStreamOptions } from '../interfaces/jetstream-options.interface.js';
import type { JetStreamEventOptions } from '../interfaces/jetstream-event-options.interface.js';
import { JetStreamServer } from './jetstream.server.js';

// Handlers are called directly (the library runs the guards, interceptors and pipes Nest resolved
// for them); these tests check that such a handler behaves exactly as through Nest's pipeline
// (arguments, results, errors, exception filters, settling), and which keep Nest's pipeline.

const probe = new Probe<string>();

const SubjectOf = createParamDecorator((_data: unknown, host: ExecutionContext) => host.switchToRpc().getContext<JetStreamContext>().getSubject());

@Injectable()
class AllowGuard implements CanActivate {
  canActivate(): boolean {
    probe.add('guard');
    return true;
  }
}

@Injectable()
class MarkInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(tap(() => probe.add('intercepted')));
  }
}

@Injectable()
class UpperPipe implements PipeTransform {
  transform(value: unknown): unknown {
    return typeof value === 'string' ? value.toUpperCase() : value;
  }
}

const SwallowIgnorable = swallowIgnorable(probe);

const ATTEMPTS: JetStreamEventOptions = { maxDeliver: 3, backoff: ['50ms'] };

@Controller()
class DirectController {
  @JetStreamEvent('direct.plain')
  plain(@Payload() data: { id: string }, @Ctx() ctx: JetStreamContext) {
    probe.add(`plain:${data.id}:${ctx instanceof JetStreamContext}:${ctx.getSubject()}`);
  }

  // Without parameter decorators Nest passes the payload alone; so does a direct call.
  @JetStreamEvent('direct.bare')
  bare(data: { id: string }, ctx?: JetStreamContext) {
    probe.add(`bare:${data.id}:${ctx === undefined ? 'payload only' : 'context too'}`);
  }

  @JetStreamEvent('direct.property')
  property(@Payload('id') id: string, @SubjectOf() subject: string) {
    probe.add(`property:${id}:${subject}`);
  }

  @JetStreamEvent('direct.async-fails', ATTEMPTS)
  async asyncFails(@Payload() data: { id: string }, @Ctx() ctx: JetStreamContext) {
    await Promise.resolve();
    probe.add(`async:${data.id}:${ctx.getInfo().deliveryCount}`);
    if (ctx.getInfo().deliveryCount === 1) throw new Error('first attempt fails');
  }

  @JetStreamEvent('direct.throws', ATTEMPTS)
  throws(@Payload() data: { id: string }, @Ctx() ctx: JetStreamContext) {
    probe.add(`throws:${data.id}:${ctx.getInfo().deliveryCount}`);
    if (ctx.getInfo().deliveryCount === 1) throw new Error('first attempt fails');
  }

  @JetStreamEvent('direct.observable-fails', ATTEMPTS)
  observableFails(@Payload() data: { id: string }, @Ctx() ctx: JetStreamContext): Observable<unknown> {
    probe.add(`observable:${data.id}:${ctx.getInfo().deliveryCount}`);
    return ctx.getInfo().deliveryCount === 1 ? throwError(() => new Error('first attempt fails')) : of('ok');
  }

  @JetStreamEvent('direct.bad-request', ATTEMPTS)
  badRequest(@Payload() data: { id: string }) {
    probe.add(`bad:${data.id}`);
    throw new BadRequestException('id must be a number');
  }

  @JetStreamEvent('direct.filtered')
  @UseFilters(SwallowIgnorable)
  filtered(@Payload() data: { id: string }) {
    throw new Ignorable(data.id);
  }

  @JetStreamEvent('direct.guarded')
  @UseGuards(AllowGuard)
  guarded(@Payload() data: { id: string }) {
    probe.add(`guarded:${data.id}`);
  }

  @JetStreamEvent('direct.intercepted')
  @UseInterceptors(MarkInterceptor)
  intercepted() {
    return 'done';
  }

  @JetStreamEvent('direct.param-pipe')
  paramPipe(@Payload('id', UpperPipe) id: string) {
    probe.add(`piped:${id}`);
  }
}

@Controller()
@UseGuards(AllowGuard)
class GuardedController {
  @JetStreamEvent('direct.class-guarded')
  handle() {
    probe.add('class-guarded');
  }
}

@Controller({ scope: Scope.REQUEST })
class RequestScopedController {
  @JetStreamEvent('direct.request-scoped')
  handle(@Payload() data: { id: string }) {
    probe.add(`scoped:${data.id}`);
  }
}

@Module({ controllers: [DirectController, GuardedController, RequestScopedController] })
class DirectModule {}

@Module({ controllers: [DirectController], providers: [{ provide: APP_INTERCEPTOR, useClass: MarkInterceptor }] })
class GlobalInterceptorModule {}

/** Boots `module` on `h` with its own service name (so its own durables) and a stream for `direct.>`. */
async function boot(
  h: Harness,
  stream: string,
  module: Type<unknown>,
  options: JetStreamOptions,
  setup?: (app: INestMicroservice) => void,
): Promise<JetStreamServer> {
  return (await h.app(module, { streams: [{ name: stream, subjects: ['direct.>'] }], ...options }, setup)).strategy;
}

/** `'direct'` (`'direct with <enhancers>'` when the library runs them), or `'pipeline: <why>'`, for the handler of `subject`. */
function invocation(s: JetStreamServer, subject: string): string | undefined {
  const b = s.bindings.find((x) => x.subject === subject);
  return b && (b.invocation === 'direct' ? (b.enhancers ? `direct with ${b.enhancers}` : 'direct') : `pipeline: ${b.pipelineReason}`);
}

// Every behaviour test runs twice: with direct calls, and with every handler through Nest's pipeline.
describe.each([
  ['direct calls on (the default)', true],
  ['directCalls: false', false],
])('handlers with %s: the same outcomes (real nats-server)', (_mode, directCalls) => {
  const h = new Harness();
  const stream = uniqueName('DIRECT');
  const terminated: TerminatedMessageEvent[] = [];
  let strategy: JetStreamServer;
  const settled = async (durable: string) => {
    const info = await h.jsm.consumers.info(stream, durable);
    return info.num_ack_pending === 0 && info.num_pending === 0;
  };
  const publish = (subject: string, id: string) => h.js.publish(subject, JSON.stringify({ id }));

  beforeAll(async () => {
    await h.start();
    probe.seen.length = 0;
    strategy = await boot(h, stream, DirectModule, { serviceName: 'direct', directCalls });
    strategy.on('terminated', (e) => terminated.push(e));
  });
  afterAll(() => h.stop());

  it('says how each handler is called: directly when Nest would run no guard, interceptor or pipe for it, else through the pipeline and why', () => {
    if (!directCalls) {
      expect(strategy.bindings.map((b) => invocation(strategy, b.subject))).toEqual(strategy.bindings.map(() => 'pipeline: directCalls: false'));
      return;
    }
    expect(
      Object.fromEntries(
        [
          'direct.plain',
          'direct.bare',
          'direct.property',
          'direct.filtered',
          'direct.guarded',
          'direct.intercepted',
          'direct.param-pipe',
          'direct.class-guarded',
          'direct.request-scoped',
        ].map((s) => [s, invocation(strategy, s)]),
      ),
    ).toEqual({
      'direct.plain': 'direct',
      'direct.bare': 'direct',
      'direct.property': 'direct',
      // Exception filters do not need the pipeline: a direct call's errors go through them too.
      'direct.filtered': 'direct',
      // Guards, interceptors and pipes are run by the library (nest-adapter/enhanced-call.ts).
      'direct.guarded': 'direct with guards',
      'direct.intercepted': 'direct with interceptors',
      'direct.param-pipe': 'direct with pipes',
      'direct.class-guarded': 'direct with guards',
      'direct.request-scoped': 'pipeline: request-scoped controller',
    });
  });

  it('passes the payload and the JetStreamContext, with and without parameter decorators, custom ones included', async () => {
    await publish('direct.plain', 'p1');
    await publish('direct.bare', 'b1');
    await publish('direct.property', 'x1');
    await waitFor('the three handlers', () => probe.count((p) => /^(plain|bare|property):/.test(p)) === 3);
    expect(probe.seen).toEqual(expect.arrayContaining(['plain:p1:true:direct.plain', 'bare:b1:payload only', 'property:x1:direct.property']));
    await waitFor(
      'the acks',
      async () => (await settled('direct__direct_plain')) && (await settled('direct__direct_bare')) && (await settled('direct__direct_property')),
    );
  });

  it.each([
    ['a throw', 'direct.throws', 'throws', 'direct__direct_throws'],
    ['a rejected Promise', 'direct.async-fails', 'async', 'direct__direct_async-fails'],
    ['an Observable that errors', 'direct.observable-fails', 'observable', 'direct__direct_observable-fails'],
  ])('naks %s and acks the redelivery that succeeds', async (_what, subject, tag, durable) => {
    await publish(subject, 'f1');
    await waitFor('the second attempt', () => probe.count((p) => p === `${tag}:f1:2`) === 1);
    await waitFor('the ack', () => settled(durable));
    expect(probe.count((p) => p.startsWith(`${tag}:f1:`))).toBe(2);
    expect((await h.jsm.consumers.info(stream, durable)).num_redelivered).toBe(0);
  });

  it('retries a BadRequestException the handler throws (only a pipe rejection is poison), as through the pipeline', async () => {
    const { seq } = await publish('direct.bad-request', 'b1');
    await waitFor('the terminated event', () => terminated.find((t) => t.streamSequence === seq));
    expect(terminated.find((t) => t.streamSequence === seq)).toMatchObject({
      exhausted: true,
      deliveryCount: 3,
      reason: expect.stringMatching(/id must be a number/),
    });
    expect(probe.count((p) => p === 'bad:b1')).toBe(3);
  });

  it("runs the handler's exception filter: a swallowed error acks", async () => {
    await publish('direct.filtered', 'e1');
    await waitFor('the filter', () => probe.count((p) => p === 'filter:e1') === 1);
    await waitFor('the ack', () => settled('direct__direct_filtered'));
    expect((await h.jsm.consumers.info(stream, 'direct__direct_filtered')).num_redelivered).toBe(0);
  });

  it('still runs guards, interceptors, pipes and request scope where they apply', async () => {
    const before = probe.count((p) => p === 'guard');
    await publish('direct.guarded', 'g1');
    await publish('direct.class-guarded', 'c1');
    await publish('direct.intercepted', 'i1');
    await publish('direct.param-pipe', 'lower');
    await publish('direct.request-scoped', 'r1');
    await waitFor('every handler', () =>
      ['guarded:g1', 'class-guarded', 'intercepted', 'piped:LOWER', 'scoped:r1'].every((p) => probe.count((x) => x === p) === 1),
    );
    expect(probe.count((p) => p === 'guard') - before).toBe(2);
  });
});

describe('which handlers are called directly (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('DIRECT');
  const publish = (subject: string, id: string) => h.js.publish(subject, JSON.stringify({ id }));
  let plain: JetStreamServer;
  beforeAll(async () => {
    await h.start();
    probe.seen.length = 0;
    plain = await boot(h, stream, DirectModule, { serviceName: 'plain' });
  });
  afterAll(() => h.stop());

  it('runs a global enhancer (useGlobalPipes, APP_INTERCEPTOR) around every handler', async () => {
    expect(invocation(plain, 'direct.bare')).toBe('direct');
    const withGlobalPipe = await boot(h, stream, DirectModule, { serviceName: 'gpipe' }, (app) => app.useGlobalPipes(new UpperPipe()));
    expect(invocation(withGlobalPipe, 'direct.plain')).toBe('direct with pipes');
    const withAppInterceptor = await boot(h, stream, GlobalInterceptorModule, { serviceName: 'gint' });
    expect(invocation(withAppInterceptor, 'direct.plain')).toBe('direct with interceptors');
    const before = probe.count((p) => p === 'intercepted');
    await publish('direct.bare', 'b2');
    // Three apps take direct.bare: the plain one directly, the others through their global pipe or interceptor.
    await waitFor('the global interceptor', () => probe.count((p) => p === 'intercepted') - before === 1);
    await waitFor('three handlers', () => probe.count((p) => p === 'bare:b2:payload only') === 3);
  });

  it('keeps the pipeline when a pre-request hook is registered (NestJS 12; NestJS 11 has none)', async () => {
    type Hook = (context: ExecutionContext, next: () => Observable<unknown>) => Observable<unknown>;
    const hook: Hook = (context, next) => {
      probe.add(`hook:${context.switchToRpc().getContext<JetStreamContext>().getSubject()}`);
      return next();
    };
    const withHook = await boot(h, stream, DirectModule, { serviceName: 'hook' }, (app) =>
      (app as INestMicroservice & { registerPreRequestHook?: (...hooks: Hook[]) => void }).registerPreRequestHook?.(hook),
    );
    if (process.env.NEST_COMPAT === '11') {
      expect(invocation(withHook, 'direct.plain')).toBe('direct');
      return;
    }
    expect(invocation(withHook, 'direct.plain')).toBe('pipeline: pre-request hooks');
    await publish('direct.plain', 'h1');
    await waitFor('the hook to run for the message', () => probe.count((p) => p === 'hook:direct.plain') === 1);
  });
});
