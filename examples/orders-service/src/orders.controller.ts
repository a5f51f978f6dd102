import { BadRequestException, Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, ServiceUnavailableException } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { firstValueFrom, timeout } from 'rxjs';
import { Subjects, type OrderCreated, type StockCheckReply, type StockCheckRequest } from '@nest-jetstream/example-shared';
import { OrdersOutboxRelay } from './orders-outbox.relay';
import { OrdersRepository, type Order } from './orders.repository';
import { CORE_NATS } from './tokens';

/** Test-only: the id of an order whose POST kills the process (SIGKILL) right after its transaction commits. */
export const KILL_AFTER_COMMIT_ENV = 'ORDERS_KILL_AFTER_COMMIT';

interface PlaceOrder {
  id?: unknown;
  sku?: unknown;
  qty?: unknown;
}

@Controller('orders')
export class OrdersController {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly relay: OrdersOutboxRelay,
    @Inject(CORE_NATS) private readonly nats: ClientProxy,
  ) {}

  /**
   * Places an order: stock check over core NATS (request/reply), then the order and its
   * `orders.created` event in one SQL transaction (the outbox), published by the relay after the
   * commit. A client retry (or a double POST) finds the order and adds no second event; a process
   * that dies after the commit publishes the event when it starts again.
   */
  @Post()
  @HttpCode(202)
  async place(@Body() body: PlaceOrder): Promise<Order> {
    const input = validate(body);
    const existing = this.orders.get(input.id);
    // The same order again: its event was committed with it, the relay publishes it.
    if (existing) return existing;
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
    const event: OrderCreated = { id: input.id, sku: input.sku, qty: input.qty };
    this.orders.insertWithEvents({ ...input, status: 'pending', reason: null }, [{ subject: Subjects.OrderCreated, data: event }]);
    // Fault injection for the end-to-end test: the process dies right after the commit, before any publish.
    if (process.env[KILL_AFTER_COMMIT_ENV] === input.id) process.kill(process.pid, 'SIGKILL');
    this.relay.wake();
    return this.orders.get(input.id)!;
  }

  @Get(':id')
  get(@Param('id') id: string): Order {
    const order = this.orders.get(id);
    if (!order) throw new NotFoundException(`no order ${id}`);
    return order;
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
