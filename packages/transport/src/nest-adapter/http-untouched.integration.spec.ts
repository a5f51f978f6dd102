import 'reflect-metadata';
import {
  ArgumentsHost,
  Body,
  Catch,
  Controller,
  ExceptionFilter,
  Get,
  HttpCode,
  Module,
  NotFoundException,
  Param,
  ParseIntPipe,
  Post,
  UseFilters,
  ValidationPipe,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PipesConsumer } from '@nestjs/core/pipes/pipes-consumer.js';
import { BaseRpcExceptionFilter, Payload } from '@nestjs/microservices';
import { IsInt, IsString, Min } from 'class-validator';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamServer } from '../server/jetstream.server.js';

// An HTTP app with ValidationPipes (global and per parameter) and an exception filter answers every
// request byte for byte the same with and without a JetStreamServer connected in the same app:
// what nest-internals.ts wraps while the server lives never reaches an HTTP request.

class CreateOrderDto {
  @IsString()
  sku!: string;

  @IsInt()
  @Min(1)
  quantity!: number;
}

class NoteDto {
  @IsString()
  text!: string;
}

/** The part of express's response the filter uses. */
interface HttpResponse {
  status(code: number): HttpResponse;
  setHeader(name: string, value: string): HttpResponse;
  json(body: unknown): void;
}

@Catch(NotFoundException)
class NotFoundFilter implements ExceptionFilter {
  catch(exception: NotFoundException, host: ArgumentsHost): void {
    host.switchToHttp().getResponse<HttpResponse>().status(404).setHeader('x-filtered', 'yes').json({ missing: exception.message });
  }
}

@Controller('orders')
@UseFilters(NotFoundFilter)
class OrdersController {
  @Post()
  @HttpCode(201)
  create(@Body() dto: CreateOrderDto) {
    return { created: dto, type: dto.constructor.name };
  }

  @Post(':id/notes')
  note(@Param('id', ParseIntPipe) id: number, @Body(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true })) dto: NoteDto) {
    return { id, note: dto.text };
  }

  @Get(':id')
  get(@Param('id', ParseIntPipe) id: number) {
    if (id === 404) throw new NotFoundException(`order ${id}`);
    if (id === 500) throw new Error('the database is down');
    return { id };
  }

  /** A JetStream handler in the same controller, with a pipe: the server binds it. */
  @JetStreamEvent('http-untouched.created')
  onCreated(@Payload(new ValidationPipe()) _dto: CreateOrderDto) {}
}

@Module({ controllers: [OrdersController] })
class HttpModule {}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Headers that change from one response to the next whatever the app does. */
const VOLATILE = new Set(['date', 'etag', 'last-modified', 'keep-alive', 'connection']);

const REQUESTS: { method: string; path: string; body?: unknown; raw?: string }[] = [
  { method: 'POST', path: '/orders', body: { sku: 'A-1', quantity: 2 } },
  { method: 'POST', path: '/orders', body: { sku: 'A-1', quantity: 2, extra: 'dropped by whitelist' } },
  { method: 'POST', path: '/orders', body: { sku: 7, quantity: 0 } },
  { method: 'POST', path: '/orders', body: {} },
  { method: 'POST', path: '/orders', raw: '{"sku": "A-1",' },
  { method: 'POST', path: '/orders/12/notes', body: { text: 'ring twice' } },
  { method: 'POST', path: '/orders/12/notes', body: { text: 'ring twice', extra: 1 } },
  { method: 'POST', path: '/orders/12/notes', body: { text: 5 } },
  { method: 'POST', path: '/orders/abc/notes', body: { text: 'ring twice' } },
  { method: 'GET', path: '/orders/12' },
  { method: 'GET', path: '/orders/abc' },
  { method: 'GET', path: '/orders/404' },
  { method: 'GET', path: '/orders/500' },
  { method: 'GET', path: '/nowhere' },
];

async function ask(base: string, r: (typeof REQUESTS)[number]): Promise<Answer> {
  const body = r.raw ?? (r.body === undefined ? undefined : JSON.stringify(r.body));
  const res = await fetch(`${base}${r.path}`, { method: r.method, body, headers: body === undefined ? {} : { 'content-type': 'application/json' } });
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (!VOLATILE.has(name)) headers[name] = value;
  });
  return { status: res.status, headers, body: await res.text() };
}

async function answers(app: INestApplication): Promise<Answer[]> {
  await app.listen(0, '127.0.0.1');
  const base = await app.getUrl();
  const out: Answer[] = [];
  for (const r of REQUESTS) out.push(await ask(base.replace('[::1]', '127.0.0.1'), r));
  return out;
}

const wrapped = () => ({ apply: PipesConsumer.prototype.apply, catch: BaseRpcExceptionFilter.prototype.catch });

describe('an HTTP app with ValidationPipes beside a JetStreamServer (real nats-server)', () => {
  const h = new Harness();
  let apps: INestApplication[] = [];

  beforeAll(() => h.start());
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await h.stop();
  });

  async function boot(): Promise<INestApplication> {
    const app = await NestFactory.create(HttpModule, { logger: false });
    apps.push(app);
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, transform: true }));
    return app;
  }

  it('answers byte for byte the same with and without the server connected', async () => {
    const nest = wrapped();
    const alone = await boot();
    const without = await answers(alone);
    await alone.close();
    apps = [];

    const beside = await boot();
    const stream = uniqueName('HTTPUNTOUCHED');
    beside.connectMicroservice({
      strategy: new JetStreamServer({
        connection: { servers: h.server.url },
        serviceName: 'http-untouched',
        streams: [{ name: stream, subjects: ['http-untouched.>'] }],
      }),
    });
    await beside.startAllMicroservices();
    // The server lives: the fallback RPC filter is wrapped now; the pipes' prototype never is.
    expect(wrapped().catch).not.toBe(nest.catch);
    expect(wrapped().apply).toBe(nest.apply);
    const withServer = await answers(beside);

    expect(withServer).toEqual(without);
    // The requests cover what they claim: valid, invalid (global and parameter pipes), filtered, crashed.
    expect(without.map((a) => a.status)).toEqual([201, 201, 400, 400, 400, 201, 201, 400, 400, 200, 400, 404, 500, 404]);
    expect(without[11].headers['x-filtered']).toBe('yes');
    expect(JSON.parse(without[1].body)).toEqual({ created: { sku: 'A-1', quantity: 2 }, type: 'CreateOrderDto' });
  });
});
