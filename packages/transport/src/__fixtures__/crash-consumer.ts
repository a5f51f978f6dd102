// A consumer process for the dead-letter tests: fails the first delivery, SIGKILLs itself on the
// second (its last attempt), and on any later delivery would print "handled" (it must not get one).
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamServer } from '../server/jetstream.server.js';

@Controller()
class CrashController {
  // ackWait 3s: on 2.9.10 the killed process's open pull (5 s) can still swallow deliveries, one
  // per ackWait; they must stay well under the server's max_deliver (2 + 10) for the successor.
  @JetStreamEvent('dlt.work.crash', { maxDeliver: 2, backoff: ['100ms'], ackWait: '3s', deadLetter: 'dlt.dead.crash' })
  handle(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    const delivery = ctx.getInfo().deliveryCount;
    process.stdout.write(`${JSON.stringify({ event: 'delivery', delivery })}\n`);
    if (delivery === 1) throw new Error('first attempt fails');
    process.kill(process.pid, 'SIGKILL');
  }
}

@Module({ controllers: [CrashController] })
class CrashModule {}

async function main(): Promise<void> {
  const strategy = new JetStreamServer({ connection: { servers: process.env.NATS_URL }, serviceName: 'dlt', deadLetterAdvisories: false });
  strategy.on('deadLetter', (e) => process.stdout.write(`${JSON.stringify({ event: 'deadLetter', reason: e.reason, seq: e.streamSequence })}\n`));
  const app = await NestFactory.createMicroservice(CrashModule, { strategy, logger: false });
  await app.listen();
  process.stdout.write(`${JSON.stringify({ event: 'ready' })}\n`);
}

void main();
