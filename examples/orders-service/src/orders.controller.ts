import { BadRequestException, Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, ServiceUnavailableException } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { firstValueFrom, timeout } from 'rxjs';
import { JetStreamClient } from '@nest-jetstream/transport';
import { Subjects, type OrderCreated, type StockCheckReply, type StockCheckRequest } from '@nest-jetstream/example-shared';
import { OrdersRepository, type Order } from './orders.repository';
import { CORE_NATS } from './tokens';

interface PlaceOrder {
  id?: unknown;
  sku?: unknown;
  qty?: unknown;
}

@Controller('orders')
export class OrdersController {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly events: JetStreamClient,
    @Inject(CORE_NATS) private readonly nats: ClientProxy,
  ) {}

  /**
   * Places an order: stock check over core NATS (request/reply), then `orders.created` on
   * JetStream with msgId = order id, so a client retry (or a double POST) is one event.
   */
  @Post()
  @HttpCode(202)
  async place(@Body() body: PlaceOrder): Promise<Order> {
    const input = validate(body);
    const existing = this.orders.get(input.id);
    if (existing) {
      // The same order again: publish again (deduplicated by the stream) in case the first POST died before it did.
      if (existing.status === 'pending') await this.publish(existing);
      return existing;
    }
    let stock: StockCheckReply;
    try {
      stock = await firstValueFrom(this.nats.send<StockCheckReply, StockCheckRequest>(Subjects.StockCheck, { sku: input.sku }).pipe(timeout(5000)));
    } catch (err) {
      throw new ServiceUnavailableException(`inventory did not answer the stock check: ${(err as Error).message ?? String(err)}`);
    }
    if (stock.available < input.qty) {
      this.orders.insert({ ...input, status: 'rejected', reason: `out of stock: ${stock.available} ${input.sku} available, ${input.qty} ordered` });
      return this.orders.get(input.id)!;
    }
    this.orders.insert({ ...input, status: 'pending', reason: null });
    const order = this.orders.get(input.id)!;
    if (order.status === 'pending') await this.publish(order);
    return order;
  }

  @Get(':id')
  get(@Param('id') id: string): Order {
    const order = this.orders.get(id);
    if (!order) throw new NotFoundException(`no order ${id}`);
    return order;
  }

  private async publish(order: Order): Promise<void> {
    const event: OrderCreated = { id: order.id, sku: order.sku, qty: order.qty };
    await this.events.publish(Subjects.OrderCreated, event, { msgId: order.id });
  }
}

function validate(body: PlaceOrder): { id: string; sku: string; qty: number } {
  const id = body.id === undefined ? randomUUID() : body.id;
  if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new BadRequestException('id must be 1 to 64 letters, digits, "-" or "_"');
  if (typeof body.sku !== 'string' || !body.sku) throw new BadRequestException('sku must be a non-empty string');
  if (typeof body.qty !== 'number' || !Number.isInteger(body.qty) || body.qty < 1 || body.qty > 1000) {
    throw new BadRequestException('qty must be a whole number from 1 to 1000');
  }
  return { id, sku: body.sku, qty: body.qty };
}
