// A consumer process for the prefetch tests. HOLD=1: every handler hangs (the process holds what
// it took); otherwise each message is handled at once. Prints one JSON line per event.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { say, serveFixture } from './fixture-process.js';

const hold = process.env.HOLD === '1';

@Controller()
class HoldController {
  @JetStreamEvent('hold.work', { concurrency: 2, prefetch: 2, maxAckPending: 100, ackWait: '60s', handlerTimeout: '10m' })
  async handle(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    say(hold ? 'held' : 'handled', { seq: ctx.getInfo().streamSequence });
    if (hold) await new Promise(() => undefined);
  }
}

@Module({ controllers: [HoldController] })
class HoldModule {}

void serveFixture(HoldModule, 'hold');
