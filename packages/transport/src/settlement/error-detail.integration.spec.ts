import { Controller, Module, UsePipes, ValidationPipe, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import type { JsMsg } from '@nats-io/jetstream';
import { IsInt, IsString, Min } from 'class-validator';
import { waitFor } from '@nest-jetstream/testing';
import { Harness, uniqueName } from '../__fixtures__/harness.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { DeadLetterHeaders, readDeadLetter } from '../dead-letter/dead-letter-headers.js';
import type { DeadLetterEvent, TerminatedMessageEvent } from '../events/settle.events.js';
import { JetStreamServer } from '../server/jetstream.server.js';

// Handler errors keep their detail: the stack in the log (first and final failure, not every
// retry), a ValidationPipe's field list in the reason, and a bounded stack in the dead letter.

/** A stack frame in this file: `at … (…/error-detail.integration.spec.ts:50:35)`. */
const FRAME_HERE = /\n\s+at .*error-detail\.integration\.spec\.ts:\d+:\d+/;

/** Every call to the app's logger, as Nest hands it over: `(message, ...params, context)`. */
class RecordingLogger implements LoggerService {
  readonly calls: { level: string; message: string; params: unknown[] }[] = [];
  private record(level: string, message: unknown, params: unknown[]): void {
    this.calls.push({ level, message: String(message), params });
  }
  log(message: unknown, ...params: unknown[]): void {
    this.record('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.record('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.record('warn', message, params);
  }
}

class CreateOrder {
  @IsString()
  name!: string;

  @IsInt()
  @Min(1)
  quantity!: number;
}

interface Order {
  customer?: { address?: { city: string } };
}

/** Deep in the handler: a TypeError from reading a field of undefined. */
function cityOf(order: Order): string {
  return order.customer!.address!.city.toUpperCase();
}

/** An error three causes deep: a long stack, for the header's bound. */
function deepFailure(): Error {
  let err = new Error('the database refused the write');
  for (let i = 0; i < 3; i++) err = new Error(`layer ${i} failed`, { cause: err });
  return err;
}

@Controller()
class FailingController {
  @JetStreamEvent('detail.crash', { maxDeliver: 3, backoff: ['50ms'], deadLetter: false })
  crash(@Payload() order: Order) {
    return cityOf(order);
  }

  @JetStreamEvent('detail.validated', { deadLetter: false })
  @UsePipes(new ValidationPipe())
  validated(@Payload() _order: CreateOrder) {
    // never reached: the pipe rejects the payload
  }

  @JetStreamEvent('detail.validated-dl', { deadLetter: 'detail-dead.validated' })
  @UsePipes(new ValidationPipe())
  validatedDeadLettered(@Payload() _order: CreateOrder) {
    // never reached: the pipe rejects the payload
  }

  @JetStreamEvent('detail.deep', { maxDeliver: 1, deadLetter: 'detail-dead.deep' })
  deep() {
    throw deepFailure();
  }
}

@Module({ controllers: [FailingController] })
class FailingModule {}

describe('handler errors keep their detail (real nats-server)', () => {
  const h = new Harness();
  const stream = uniqueName('DETAIL');
  const deadStream = uniqueName('DETAIL_DEAD');
  const logger = new RecordingLogger();
  const terminated: TerminatedMessageEvent[] = [];
  const deadLetters: DeadLetterEvent[] = [];
  let strategy: JetStreamServer;

  beforeAll(async () => {
    await h.start();
    strategy = new JetStreamServer({
      connection: { servers: h.server.url },
      serviceName: 'detail',
      streams: [
        { name: stream, subjects: ['detail.>'] },
        { name: deadStream, subjects: ['detail-dead.>'] },
      ],
      deadLetterAdvisories: false,
      shutdownTimeout: '5s',
    });
    strategy.on('terminated', (e) => terminated.push(e));
    strategy.on('deadLetter', (e) => deadLetters.push(e));
    const app = await NestFactory.createMicroservice(FailingModule, { strategy, logger });
    await app.listen();
    afterAllClose.push(() => app.close());
  });
  const afterAllClose: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of afterAllClose) await close();
    await h.stop();
  });

  /** The lines our server logged about `seq`. */
  const about = (seq: number) => logger.calls.filter((c) => c.message.includes(`seq ${seq})`) || c.message.includes(`message ${seq} `));

  it('logs the stack of a TypeError deep in a handler, with the handler file, on the first and the final failure only', async () => {
    const { seq } = await h.js.publish('detail.crash', JSON.stringify({ customer: {} }));
    await waitFor('the crash to be terminated after its last attempt', () => terminated.some((e) => e.streamSequence === seq));

    const [first, second] = about(seq).filter((c) => c.level === 'warn');
    expect(first.message).toMatch(/failed on attempt 1\/3 .*: TypeError: Cannot read properties of undefined \(reading 'city'\)\nTypeError: /);
    // A frame in this file, with its line (the names source maps give frames vary; the file does not).
    expect(first.message).toMatch(FRAME_HERE);
    // A retry in between: one line, no stack.
    expect(second.message).toMatch(/failed on attempt 2\/3 /);
    expect(second.message).not.toContain('\n');

    // The final failure: an error, with the stack as Nest's logger takes it (message, stack, context).
    const final = about(seq).find((c) => c.level === 'error' && c.message.startsWith(`Terminated message ${seq} `))!;
    expect(final.message).toMatch(/failed on the last attempt \(3\/3\): TypeError: Cannot read properties of undefined/);
    expect(final.params[0]).toMatch(/^TypeError: Cannot read properties of undefined \(reading 'city'\)\n\s+at /);
    expect(final.params[0]).toMatch(FRAME_HERE);
    expect(final.params[1]).toBe('JetStreamServer');
  });

  it("keeps a ValidationPipe rejection's failing fields in the terminated event's reason and the log", async () => {
    const { seq } = await h.js.publish('detail.validated', JSON.stringify({ name: 42, quantity: 0 }));
    await waitFor('the rejected message to be terminated', () => terminated.some((e) => e.streamSequence === seq));
    const event = terminated.find((e) => e.streamSequence === seq)!;
    expect(event.exhausted).toBe(false);
    expect(event.reason).toMatch(/^BadRequestException: .*\(status 400\): /);
    expect(event.reason).toContain('name must be a string');
    expect(event.reason).toContain('quantity must not be less than 1');
    expect((event.error as { getResponse(): { message: string[] } }).getResponse().message).toContain('name must be a string');
    const line = about(seq).find((c) => c.level === 'error')!;
    expect(line.message).toContain('name must be a string');
  });

  it("keeps the failing fields in the dead letter's reason header, and carries the stack in Dead-Letter-Stack", async () => {
    const { seq } = await h.js.publish('detail.validated-dl', JSON.stringify({ name: 'Ada', quantity: 'many' }));
    await waitFor('the rejected message to be dead-lettered', () => deadLetters.some((e) => e.streamSequence === seq));
    const event = deadLetters.find((e) => e.streamSequence === seq)!;
    expect(event.reason).toContain('quantity must be an integer number');
    const stored: JsMsg = (await h.js.consumers.get(deadStream, { filter_subjects: 'detail-dead.validated' }).then((c) => c.next()))!;
    const dl = readDeadLetter(stored.headers)!;
    expect(stored.headers!.get(DeadLetterHeaders.Reason)).toContain('quantity must be an integer number');
    expect(dl.reason).toContain('quantity must not be less than 1');
    expect(dl.stack).toMatch(/^BadRequestException: Bad Request Exception\n\s+at /);
    // The dead-lettered warning carries the stack below its line.
    const warning = logger.calls.find((c) => c.level === 'warn' && c.message.startsWith(`Dead-lettered message ${seq} `))!;
    expect(warning.message).toContain('quantity must be an integer number');
    expect(warning.message).toMatch(/\nBadRequestException: Bad Request Exception\n\s+at /);
  });

  it('bounds the Dead-Letter-Stack header, keeping the handler frame and its causes first', async () => {
    const { seq } = await h.js.publish('detail.deep', '{}');
    await waitFor('the failure to be dead-lettered', () => deadLetters.some((e) => e.streamSequence === seq));
    const stored: JsMsg = (await h.js.consumers.get(deadStream, { filter_subjects: 'detail-dead.deep' }).then((c) => c.next()))!;
    const value = stored.headers!.get(DeadLetterHeaders.Stack);
    expect(value.length).toBeGreaterThan(0);
    expect(value.length).toBeLessThanOrEqual(2048);
    expect(value).not.toMatch(/[\r\n]/);
    const stack = readDeadLetter(stored.headers)!.stack!;
    expect(stack).toMatch(/^Error: layer 2 failed\n\s+at /);
    expect(stack).toMatch(FRAME_HERE);
    expect(stack).toContain('Caused by: Error: layer 1 failed');
    expect(stack).toMatch(/\n {4}… \d+ more line\(s\)$/);
  });
});
