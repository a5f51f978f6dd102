import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { JetStreamBatchContext, JetStreamEvent } from '@nest-jetstream/transport';
import { Subjects } from '@nest-jetstream/example-shared';
import { StockRepository } from './stock.repository';

/** A delivery to the warehouse: `qty` more of `sku`. */
export interface StockReceived {
  sku: string;
  qty: number;
}

@Controller()
export class DeliveriesController {
  constructor(private readonly stock: StockRepository) {}

  /**
   * A batch handler (docs/batch-handlers.md): up to 100 deliveries at a time, or what came within
   * 500 ms of the first, added in one transaction. A delivery that cannot be stored (no SKU, a
   * quantity that is not a positive whole number) is dead-lettered on its own; if the transaction
   * fails, every delivery of the batch is retried with backoff, then dead-lettered each on its own.
   */
  @JetStreamEvent(Subjects.StockReceived, { batch: { size: 100, maxWait: '500ms' }, maxDeliver: 3, backoff: ['200ms', '1s'] })
  received(@Payload() deliveries: StockReceived[], @Ctx() batch: JetStreamBatchContext): void {
    const valid = deliveries.filter((d, i) => {
      if (typeof d?.sku === 'string' && Number.isInteger(d.qty) && d.qty > 0) return true;
      batch.messages[i].term(`a delivery needs a sku and a positive whole qty; got ${JSON.stringify(d)}`);
      return false;
    });
    this.stock.receive(valid);
  }
}
