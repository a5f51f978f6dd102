// A consumer process for the adaptive-prefetch crash test: a handler with default options except
// ackWait (and maxAckPending when MAX_ACK_PENDING is set), taking HANDLER_MS per message, on
// SUBJECT. Prints one JSON line per handled message (its sequence and delivery count).
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { JetStreamContext } from '../ctx-host/jetstream.context.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { say, serveFixture } from './fixture-process.js';
import type { Duration } from '../utils/duration.js';

const handlerMs = Number(process.env.HANDLER_MS ?? 0);
const maxAckPending = process.env.MAX_ACK_PENDING ? Number(process.env.MAX_ACK_PENDING) : undefined;

@Controller()
class RateController {
  @JetStreamEvent(process.env.SUBJECT ?? 'rate.work', {
    ackWait: (process.env.ACK_WAIT ?? '5s') as Duration,
    ...(maxAckPending !== undefined && { maxAckPending }),
  })
  async handle(@Payload() _data: unknown, @Ctx() ctx: JetStreamContext) {
    if (handlerMs > 0) await new Promise((r) => setTimeout(r, handlerMs));
    const { streamSequence: seq, deliveryCount: delivery } = ctx.getInfo();
    say('handled', { seq, delivery });
  }
}

@Module({ controllers: [RateController] })
class RateModule {}

void serveFixture(RateModule, 'rate');
