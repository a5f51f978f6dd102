import { Controller, Get } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Subjects, type StockCheckReply, type StockCheckRequest } from '@nest-jetstream/example-shared';
import { StockRepository } from './stock.repository';

@Controller()
export class StockController {
  constructor(private readonly stock: StockRepository) {}

  /** Request/reply on core NATS (Transport.NATS): nothing to keep, nothing to redeliver. */
  @MessagePattern(Subjects.StockCheck)
  check(@Payload() req: StockCheckRequest): StockCheckReply {
    return { sku: req.sku, available: this.stock.available(req.sku) };
  }

  /** For people and tests: every reservation made. */
  @Get('reservations')
  list() {
    return this.stock.reservations();
  }
}
