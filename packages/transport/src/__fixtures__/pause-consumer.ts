// A consumer process for the pause test: each message is handled after HANDLE_MS, with a line
// when it starts and one when it has been handled. The test SIGSTOPs and SIGCONTs it; the handler
// runs long enough that the stop lands inside it even when the test reads the line late (a loaded CI).
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamServer } from '../server/jetstream.server.js';

const HANDLE_MS = 1500;
const say = (event: string, fields: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ event, pid: process.pid, ...fields })}\n`);

@Controller()
class PauseController {
  @JetStreamEvent('pause.work', { ackWait: '2s', maxDeliver: 5, backoff: ['100ms'], deadLetter: 'pausedlq.work' })
  async handle(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    const { streamSequence: seq, deliveryCount: delivery } = ctx.getInfo();
    say('started', { seq, delivery });
    await new Promise((r) => setTimeout(r, HANDLE_MS));
    say('handled', { seq, delivery });
  }
}

@Module({ controllers: [PauseController] })
class PauseModule {}

async function main(): Promise<void> {
  const strategy = new JetStreamServer({ connection: { servers: process.env.NATS_URL }, serviceName: 'pause', deadLetterAdvisories: false });
  strategy.on('deadLetter', (e) => say('deadLetter', { seq: e.streamSequence }));
  strategy.on('terminated', (e) => say('terminated', { seq: e.streamSequence }));
  const app = await NestFactory.createMicroservice(PauseModule, { strategy, logger: false });
  await app.listen();
  say('ready');
}

void main();
