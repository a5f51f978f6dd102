import { Module } from '@nestjs/common';
import { JetStreamModule } from '@nest-jetstream/transport';
import { DEAD_LETTER_TEMPLATE, natsConnection, observability, OperationsModule, streams, type ServiceConfig } from '@nest-jetstream/example-shared';
import { ReservationsController } from './reservations.controller';
import { StockController } from './stock.controller';
import { StockRepository } from './stock.repository';

export const SERVICE_NAME = 'inventory';

export class AppModule {
  static forConfig(config: ServiceConfig) {
    const { registry, metrics, health } = observability(config);
    // One SQLite database: the stock, and the idempotency keys the reservations are recorded with.
    const stock = new StockRepository(config.dbPath);
    @Module({
      imports: [
        JetStreamModule.forRoot({
          isGlobal: true,
          connection: natsConnection(config, 'inventory-service/jetstream'),
          serviceName: SERVICE_NAME,
          streams: streams(config.replicas),
          deadLetter: DEAD_LETTER_TEMPLATE,
          provisioning: config.provisioning,
          metrics,
          health,
          // The processed keys, pruned hourly after 7 days: far beyond ORDERS' duplicate window
          // (10m) and the longest redelivery (maxDeliver 3 × (handlerTimeout 5m + backoff 1s)).
          idempotency: { store: stock.idempotency, pruneInterval: '1h', retain: '7d' },
        }),
        // GET /health/live, /health/ready and /metrics
        OperationsModule.forRegistry(registry),
      ],
      controllers: [StockController, ReservationsController],
      providers: [{ provide: StockRepository, useValue: stock }],
    })
    class InventoryAppModule {}
    return InventoryAppModule;
  }
}
