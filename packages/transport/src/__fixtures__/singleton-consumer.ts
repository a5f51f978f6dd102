// A consumer process for the singleton tests: a singleton handler that prints each message it
// handles, and, whenever it changes, who readiness says holds the pin.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { JetStreamServer } from '../server/jetstream.server.js';
import { say } from './fixture-process.js';

@Controller()
class SingletonController {
  @JetStreamEvent('single.work', { singleton: { takeoverAfter: '10s' }, ackWait: '3s' })
  handle(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    say('handled', { pid: process.pid, seq: ctx.getInfo().streamSequence });
  }
}

@Module({ controllers: [SingletonController] })
class SingletonModule {}

async function main(): Promise<void> {
  const strategy = new JetStreamServer({ connection: { servers: process.env.NATS_URL }, serviceName: 'single', health: { cacheTtl: 0 } });
  const app = await NestFactory.createMicroservice(SingletonModule, { strategy, logger: false });
  await app.listen();
  say('ready', { pid: process.pid });
  let last = '';
  const timer = setInterval(() => {
    void strategy.health.readiness().then((r) => {
      const details = r.checks.find((c) => c.name === 'jetstream.consumers')?.details ?? {};
      const holder =
        Object.values(details)
          .map((d) => (d as { pin?: { holder: string } }).pin?.holder)
          .find(Boolean) ?? 'unknown';
      if (holder !== last) say('pin', { pid: process.pid, holder });
      last = holder;
    });
  }, 300);
  timer.unref();
}

void main();
