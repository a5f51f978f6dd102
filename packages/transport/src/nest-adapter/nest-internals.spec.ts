import 'reflect-metadata';
import {
  BadRequestException,
  CanActivate,
  Controller,
  Injectable,
  Module,
  UseGuards,
  UsePipes,
  ValidationPipe,
  type ArgumentMetadata,
  type ExecutionContext,
  type INestMicroservice,
  type PipeTransform,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PipesConsumer } from '@nestjs/core/pipes/pipes-consumer.js';
import { BaseRpcExceptionFilter, Ctx, Payload } from '@nestjs/microservices';
import { ListenersController } from '@nestjs/microservices/listeners-controller.js';
import { IsString } from 'class-validator';
import { lastValueFrom, isObservable } from 'rxjs';
import { ProbeServer, runProbe } from '../__fixtures__/probe-server.js';
import { createTestContext } from '../ctx-host/test-context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import { requestPatterns } from '../server/request-subjects.js';
import { isUnrecoverable } from '../settlement/settle-policy.js';
import { appContainerOf, attachNestAdapter, FORBIDDEN_MESSAGE, isPipeRejection, PrototypePatch } from './nest-internals.js';

// Pins what nest-internals.ts relies on in Nest: run on Nest 12 and with NEST_COMPAT=11 on Nest 11.
// A Nest version that renames, moves or reshapes any of it fails here first.

const originals = () => ({
  catch: BaseRpcExceptionFilter.prototype.catch,
  apply: PipesConsumer.prototype.apply,
  register: (ListenersController.prototype as unknown as Record<string, unknown>).registerPatternHandlers,
});

class OrderDto {
  @IsString()
  id!: string;
}

@Injectable()
class AllowGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Controller()
class ProbeController {
  @JetStreamEvent('probe.plain')
  plain(@Payload() data: unknown) {
    return data;
  }

  @JetStreamEvent('probe.guarded')
  @UseGuards(AllowGuard)
  guarded(@Payload() data: unknown) {
    return data;
  }

  @JetStreamEvent('probe.validated')
  @UsePipes(new ValidationPipe())
  validated(@Payload() dto: OrderDto, @Ctx() _ctx: unknown) {
    if (dto.id === 'downstream') throw new BadRequestException('the downstream call said 400');
    return dto.id;
  }
}

/** What the recording guard and pipe saw, tagged with the payload's id (which path ran them). */
const recorded: { id: unknown; what: string }[] = [];

@Injectable()
class RecordGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const data = context.switchToRpc().getData<{ id: unknown }>();
    recorded.push({ id: data.id, what: `guard:${context.getType()}:${context.getClass().name}.${context.getHandler().name}` });
    return true;
  }
}

@Injectable()
class RecordPipe implements PipeTransform {
  transform(value: unknown, meta: ArgumentMetadata): unknown {
    const id = (value as { id?: unknown } | null)?.id ?? (recorded.at(-1)?.id as unknown);
    recorded.push({ id, what: `pipe:${meta.type}:${meta.metatype?.name}` });
    return value;
  }
}

@Controller()
class RecordController {
  @JetStreamEvent('probe.recorded')
  @UseGuards(RecordGuard)
  @UsePipes(RecordPipe)
  handle(@Payload() dto: OrderDto, @Ctx() _ctx: unknown) {
    return dto.id;
  }
}

@Module({ controllers: [ProbeController, RecordController] })
class ProbeModule {}

/** Runs Nest's handler for `pattern` the way the consumer runner does: resolves to what it returned or threw. */
const run = (server: ProbeServer, pattern: string, data: unknown) => runProbe(server, pattern, data);

describe('nest-internals: what the library relies on in Nest', () => {
  const unpatched = originals();
  let app: INestMicroservice;
  let server: ProbeServer;
  let lease: ReturnType<typeof attachNestAdapter>;

  beforeAll(async () => {
    server = new ProbeServer();
    lease = attachNestAdapter(server);
    app = await NestFactory.createMicroservice(ProbeModule, { strategy: server, logger: false });
    await app.listen();
    lease.listening();
  });

  afterAll(async () => {
    await app.close();
    lease.release();
  });

  it('the three methods are where the adapter wraps them, and wrapped while a server lives', () => {
    for (const method of Object.values(unpatched)) expect(typeof method).toBe('function');
    const now = originals();
    expect(now.catch).not.toBe(unpatched.catch);
    // Pipes: the JetStream microservice's own PipesConsumer instance is wrapped, never the prototype.
    expect(now.apply).toBe(unpatched.apply);
    // Released once Nest has registered the handlers.
    expect(now.register).toBe(unpatched.register);
  });

  it('ListenersController.registerPatternHandlers(wrapper, server, moduleKey) holds the RPC context creator direct calls ask', async () => {
    const plain = server.plans.get('probe.plain');
    if (!plain || !('call' in plain)) throw new Error('probe.plain is not called directly');
    const { ctx } = createTestContext({ subject: 'probe.plain' });
    expect(await plain.call({ id: 'direct' }, ctx)).toEqual({ id: 'direct' });
    expect(server.plans.get('probe.plain')).toEqual({ call: expect.any(Function) });
    expect(server.plans.get('probe.guarded')).toEqual({ call: expect.any(Function), enhancers: 'guards' });
    expect(server.plans.get('probe.validated')).toEqual({ call: expect.any(Function), enhancers: 'pipes' });
  });

  it("the enhancers read from Nest's context creators are the ones its pipeline runs: a pipe sees the same metadata, a guard the same context", async () => {
    const viaNest = await run(server, 'probe.recorded', { id: 'n' });
    const plan = server.plans.get('probe.recorded');
    if (!plan || !('call' in plan)) throw new Error('probe.recorded has no direct call');
    const { ctx } = createTestContext({ subject: 'probe.recorded' });
    const direct: unknown = await plan.call({ id: 'd' }, ctx);
    expect(viaNest).toEqual({ value: 'n' });
    expect(direct).toBe('d');
    const [nestSeen, ourSeen] = [recorded.filter((r) => r.id === 'n'), recorded.filter((r) => r.id === 'd')];
    expect(ourSeen.map(({ id: _id, ...r }) => r)).toEqual(nestSeen.map(({ id: _id, ...r }) => r));
    expect(nestSeen.map((r) => r.what)).toEqual(expect.arrayContaining(['guard:rpc:RecordController.handle', 'pipe:body:OrderDto', 'pipe:custom:Object']));
    // A guard's refusal: Nest's own RpcException text.
    expect(FORBIDDEN_MESSAGE).toBe('Forbidden resource');
  });

  it("a pipe rejection is noted on the library-run path too (notePipeRejection), the handler's own 400 is not", async () => {
    const plan = server.plans.get('probe.validated');
    if (!plan || !('call' in plan)) throw new Error('probe.validated has no direct call');
    const runPlan = async (data: unknown) => {
      const { ctx } = createTestContext({ subject: 'probe.validated' });
      const result: unknown = await Promise.resolve(plan.call(data, ctx))
        .then((r) => (isObservable(r) ? lastValueFrom(r) : r))
        .catch(() => undefined);
      return { result, handlerError: ctx.handlerError };
    };
    expect(isPipeRejection((await runPlan({ id: 7 })).handlerError)).toBe(true);
    const downstream = await runPlan({ id: 'downstream' });
    expect(downstream.handlerError).toBeInstanceOf(BadRequestException);
    expect(isPipeRejection(downstream.handlerError)).toBe(false);
    expect((await runPlan({ id: 'ok' })).result).toBe('ok');
  });

  it("the ListenersController's container lists the app's controllers (the request-subject check reads them)", () => {
    const container = appContainerOf(server) as Parameters<typeof requestPatterns>[0];
    expect(typeof (container as { getModules?: unknown }).getModules).toBe('function');
    expect(requestPatterns(container)).toEqual([]); // @JetStreamEvent handlers are events, not requests
  });

  it("a pipe's 400 on a JetStream payload is a pipe rejection (poison); the handler's own 400 is not", async () => {
    const invalid = await run(server, 'probe.validated', { id: 7 });
    expect(invalid.handlerError).toBeInstanceOf(BadRequestException);
    expect(isPipeRejection(invalid.handlerError)).toBe(true);
    expect(isUnrecoverable(invalid.handlerError)).toBe(true);
    const downstream = await run(server, 'probe.validated', { id: 'downstream' });
    expect(downstream.handlerError).toBeInstanceOf(BadRequestException);
    expect(isPipeRejection(downstream.handlerError)).toBe(false);
    expect(isUnrecoverable(downstream.handlerError)).toBe(false);
    expect(await run(server, 'probe.validated', { id: 'ok' })).toEqual({ value: 'ok' });
  });

  it("Nest's fallback RPC filter hands a JetStream context the original error, not 'Internal server error'", async () => {
    const boom = new Error('boom');
    const filter = new BaseRpcExceptionFilter();
    const { ctx } = createTestContext({ subject: 'x' });
    const host = { getArgByIndex: (i: number) => [undefined, ctx][i] } as Parameters<BaseRpcExceptionFilter['catch']>[1];
    await expect(lastValueFrom(filter.catch(boom, host))).rejects.toBe(boom);
    expect(ctx.handlerError).toBe(boom);
  });

  it('a PipesConsumer of any other context (HTTP has its own) is untouched: its rejection is not noted', async () => {
    const rejecting = { transform: () => Promise.reject(new BadRequestException('bad body')) };
    const consumer = new PipesConsumer();
    const error = await consumer.apply({}, { type: 'body', metatype: Object, data: undefined }, [rejecting]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestException);
    expect(isPipeRejection(error)).toBe(false);
  });
});

describe('nest-internals: patched only while a JetStream server lives', () => {
  it('an app without a JetStream server runs Nest untouched; a server built takes only the registration hook, its close restores', async () => {
    const before = originals();
    const server = new JetStreamServer({ serviceName: 'patches' });
    const during = originals();
    // The fallback filter is wrapped at listen(), when a handler can run: not by a server only built.
    expect(during.catch).toBe(before.catch);
    expect(during.apply).toBe(before.apply);
    expect(during.register).not.toBe(before.register);
    await server.close();
    expect(originals()).toEqual(before);
  });

  it('wraps the fallback filter from listening() until release, and ends the registration hook at listening()', () => {
    const before = originals();
    const lease = attachNestAdapter(new ProbeServer());
    lease.listening();
    const during = originals();
    expect(during.catch).not.toBe(before.catch);
    expect(during.register).toBe(before.register);
    lease.release();
    lease.release();
    expect(originals()).toEqual(before);
    // Released before it listened: listening() afterwards takes nothing.
    const early = attachNestAdapter(new ProbeServer());
    early.release();
    early.listening();
    expect(originals()).toEqual(before);
  });

  it('unwraps the registration of handlers once the server starts listening (Nest has registered them by then)', async () => {
    const before = originals();
    const server = new JetStreamServer({ serviceName: 'patches', connection: { servers: 'nats://127.0.0.1:1', reconnect: false } });
    expect(originals().register).not.toBe(before.register);
    await new Promise<void>((resolve) => void server.listen(() => resolve())); // fails to connect, which closes it
    expect(originals()).toEqual(before);
  });

  it('stays patched until the last server closes; closing twice releases once', async () => {
    const before = originals();
    const a = new JetStreamServer({ serviceName: 'a' });
    const b = new JetStreamServer({ serviceName: 'b' });
    await a.close();
    await a.close();
    expect(originals().register).not.toBe(before.register);
    await b.close();
    expect(originals()).toEqual(before);
    const listeningA = attachNestAdapter(new ProbeServer());
    const listeningB = attachNestAdapter(new ProbeServer());
    listeningA.listening();
    listeningB.listening();
    listeningA.release();
    listeningA.release();
    expect(originals().catch).not.toBe(before.catch);
    listeningB.release();
    expect(originals()).toEqual(before);
  });

  it("wraps apply on the microservice's own PipesConsumer while the server lives, and puts it back", async () => {
    const server = new ProbeServer();
    const lease = attachNestAdapter(server);
    const app = await NestFactory.createMicroservice(ProbeModule, { strategy: server, logger: false });
    await app.listen();
    lease.listening();
    const consumer = server.pipesConsumer;
    expect(consumer).toBeInstanceOf(PipesConsumer);
    expect(Object.prototype.hasOwnProperty.call(consumer, 'apply')).toBe(true);
    lease.release();
    lease.release();
    expect(Object.prototype.hasOwnProperty.call(consumer, 'apply')).toBe(false);
    await app.close();
  });

  it('leaves in place a patch someone else put on top of ours', () => {
    const target = { greet: (name: string) => `hello ${name}` };
    const patch = new PrototypePatch<(name: string) => string>(
      () => target,
      'greet',
      (original) => (name) => original(name).toUpperCase(),
    );
    const release = patch.acquire();
    expect(target.greet('x')).toBe('HELLO X');
    const theirs = (name: string) => `theirs ${name}`;
    target.greet = theirs;
    release();
    expect(target.greet).toBe(theirs);
    expect(patch.active).toBe(false);
  });
});
