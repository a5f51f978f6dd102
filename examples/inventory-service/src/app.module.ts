import { Module } from '@nestjs/common';
import { JetStreamModule } from '@nest-jetstream/transport';
import { DEAD_LETTER_TEMPLATE, natsConnection, streams, type ServiceConfig } from '@nest-jetstream/example-shared';
import { HealthController } from './health.controller';
import { ReservationsController } from './reservations.controller';
import { StockController } from './stock.controller';
import { StockRepository } from './stock.repository';

export const SERVICE_NAME = 'inventory';

export class AppModule {
  static forConfig(config: ServiceConfig) {
    @Module({
      imports: [
        JetStreamModule.forRoot({
          connection: natsConnection(config, 'inventory-service/jetstream'),
          serviceName: SERVICE_NAME,
          streams: streams(config.replicas),
          deadLetter: DEAD_LETTER_TEMPLATE,
        }),
      ],
      controllers: [StockController, ReservationsController, HealthController],
      providers: [{ provide: StockRepository, useFactory: () => new StockRepository(config.dbPath) }],
    })
    class InventoryAppModule {}
    return InventoryAppModule;
  }
}
