// A consumer process for the prefetch tests. HOLD=1: every handler hangs (the process holds what
// it took); otherwise each message is handled at once. Prints one JSON line per event.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamServer } from '../server/jetstream.server.js';

const hold = process.env.HOLD === '1';

@Controller()
class HoldController {
  @JetStreamEvent('hold.work', { concurrency: 2, prefetch: 2, maxAckPending: 100, ackWait: '60s', handlerTimeout: '10m' })
  async handle(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    process.stdout.write(`${JSON.stringify({ event: hold ? 'held' : 'handled', seq: ctx.getInfo().streamSequence })}\n`);
    if (hold) await new Promise(() => undefined);
  }
}

@Module({ controllers: [HoldController] })
class HoldModule {}

async function main(): Promise<void> {
  const strategy = new JetStreamServer({ connection: { servers: process.env.NATS_URL }, serviceName: 'hold' });
  const app = await NestFactory.createMicroservice(HoldModule, { strategy, logger: false });
  await app.listen();
  process.stdout.write(`${JSON.stringify({ event: 'ready' })}\n`);
}

void main();
