import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { JetStreamClient, OutboxRelay } from '@nest-jetstream/transport';
import type { OutboxRelayMetrics } from '@nest-jetstream/transport/metrics';
import { OrdersRepository } from './orders.repository';

/**
 * Publishes the orders' events from the outbox (docs/outbox.md): each with its outbox row id as
 * msgId, so a process that dies between the commit and the publish publishes it at its next start,
 * and one that dies between the publish and the mark is deduplicated by the stream's 10-minute
 * window. Single publishes: each order is one event, an atomic batch would add nothing. Its
 * figures (published, duplicates, failed passes, pending) are on GET /metrics (`nest_jetstream_outbox_*`).
 */
@Injectable()
export class OrdersOutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  readonly relay: OutboxRelay;

  /** `metrics`: made once per registry (a second app instance on it, as the AsyncAPI document's copy, must not register them again). */
  constructor(
    orders: OrdersRepository,
    client: JetStreamClient,
    private readonly metrics: OutboxRelayMetrics,
  ) {
    this.relay = new OutboxRelay({ outbox: orders.outbox, client, atomic: false, interval: '1s' });
    metrics.watch(this.relay);
  }

  /** Starts before HTTP listens: events committed before a crash are published at start. */
  async onApplicationBootstrap(): Promise<void> {
    await this.relay.start();
  }

  /** Publishes now rather than at the next poll (after a transaction that added events committed). */
  wake(): void {
    this.relay.wake();
  }

  /** Before the client closes (the module's onApplicationShutdown) and the database closes: the pass in progress finishes. */
  async onModuleDestroy(): Promise<void> {
    await this.relay.stop();
    this.metrics.unwatch(this.relay);
  }
}
