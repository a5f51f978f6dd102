import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { JetStreamClient, JetStreamContext, JetStreamEvent } from '@nest-jetstream/transport';
import { dtoSchema } from '@nest-jetstream/transport/class-validator';
import { Subjects, type InventoryRejected, type InventoryReserved } from '@nest-jetstream/example-shared';
import { OrderCreatedDto } from './order-created.dto';
import { StockRepository } from './stock.repository';

@Controller()
export class ReservationsController {
  constructor(
    private readonly stock: StockRepository,
    private readonly events: JetStreamClient,
  ) {}

  /**
   * Durable pull consumer with bounded attempts, backoff and a dead letter. The message's
   * idempotency key is recorded in the same transaction as the stock change, with the outcome:
   * a redelivery reserves nothing twice, and re-publishes the outcome recorded the first time
   * (deduplicated by its msgId).
   *
   * Deliberately not `idempotent: true`: the library would ack a redelivery whose key is
   * recorded without running the handler, and a process that died after the commit but before
   * the publish would then never publish the outcome (the order would stay pending for good).
   * The handler checks the store itself and replays the stored outcome instead; `idempotent`
   * suits handlers whose work ends with the commit (docs/idempotency.md).
   *
   * `schema`: a malformed event is terminated and dead-lettered with its failing fields before
   * the handler runs (docs/contracts.md).
   */
  @JetStreamEvent(Subjects.OrderCreated, { maxDeliver: 3, backoff: ['200ms', '1s'], concurrency: 8, schema: dtoSchema(OrderCreatedDto) })
  async reserve(@Payload() order: OrderCreatedDto, @Ctx() ctx: JetStreamContext) {
    if (order.sku === 'SKU-POISON') {
      // A simulated bug: this order fails on every attempt and ends in the dead-letter stream.
      throw new Error(`warehouse system crashed on ${order.sku}`);
    }
    const { stream, streamSequence } = ctx.getInfo();
    const outcome = this.stock.reserve({ key: ctx.idempotencyKey, stream, seq: streamSequence }, order.id, order.sku, order.qty);
    if (outcome.kind === 'reserved') {
      const event: InventoryReserved = { orderId: order.id, sku: outcome.sku, qty: outcome.qty };
      await this.events.publish(Subjects.InventoryReserved, event, { msgId: `reserved:${order.id}` });
    } else {
      const event: InventoryRejected = { orderId: order.id, reason: outcome.reason };
      await this.events.publish(Subjects.InventoryRejected, event, { msgId: `rejected:${order.id}` });
    }
  }
}
