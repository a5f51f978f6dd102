import { Controller, Logger } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { JetStreamContext, JetStreamEvent, readDeadLetter } from '@nest-jetstream/transport';
import {
  InventoryRejectedSchema,
  InventoryReservedSchema,
  Subjects,
  type InventoryRejected,
  type InventoryReserved,
  type OrderCreated,
} from '@nest-jetstream/example-shared';
import { OrdersRepository } from './orders.repository';

/** Moves orders to their final status from inventory's events (durable pull consumers). */
@Controller()
export class InventoryEventsController {
  private readonly logger = new Logger(InventoryEventsController.name);

  constructor(private readonly orders: OrdersRepository) {}

  @JetStreamEvent(Subjects.InventoryReserved, { maxDeliver: 5, backoff: ['500ms', '2s', '5s'], schema: InventoryReservedSchema })
  reserved(@Payload() event: InventoryReserved) {
    this.orders.settle(event.orderId, 'confirmed', null);
  }

  @JetStreamEvent(Subjects.InventoryRejected, { maxDeliver: 5, backoff: ['500ms', '2s', '5s'], schema: InventoryRejectedSchema })
  rejected(@Payload() event: InventoryRejected) {
    this.orders.settle(event.orderId, 'rejected', event.reason);
  }

  /** An order inventory could not process at all: it failed for good. */
  @JetStreamEvent(Subjects.OrderDeadLetter, { deadLetter: false })
  deadLettered(@Payload() order: OrderCreated, @Ctx() ctx: JetStreamContext) {
    const dl = readDeadLetter(ctx.getHeaders());
    this.logger.warn(`order ${order.id} was dead-lettered after ${dl?.deliveries} deliveries: ${dl?.reason}`);
    this.orders.settle(order.id, 'failed', dl?.reason ?? 'dead-lettered');
  }
}
