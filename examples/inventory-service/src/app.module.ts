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
        }),
        // GET /health/live, /health/ready and /metrics
        OperationsModule.forRegistry(registry),
      ],
      controllers: [StockController, ReservationsController],
      providers: [{ provide: StockRepository, useFactory: () => new StockRepository(config.dbPath) }],
    })
    class InventoryAppModule {}
    return InventoryAppModule;
  }
}
