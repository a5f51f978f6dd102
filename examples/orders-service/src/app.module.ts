import { Module } from '@nestjs/common';
import { ClientsModule, Transport } from '@nestjs/microservices';
import { JetStreamModule } from '@nest-jetstream/transport';
import { DEAD_LETTER_TEMPLATE, natsConnection, streams, type ServiceConfig } from '@nest-jetstream/example-shared';
import { HealthController } from './health.controller';
import { InventoryEventsController } from './inventory-events.controller';
import { OrdersController } from './orders.controller';
import { OrdersRepository } from './orders.repository';
import { CORE_NATS } from './tokens';

export const SERVICE_NAME = 'orders';

export class AppModule {
  static forConfig(config: ServiceConfig) {
    @Module({
      imports: [
        JetStreamModule.forRoot({
          connection: natsConnection(config, 'orders-service/jetstream'),
          serviceName: SERVICE_NAME,
          streams: streams(config.replicas),
          deadLetter: DEAD_LETTER_TEMPLATE,
        }),
        ClientsModule.register([{ name: CORE_NATS, transport: Transport.NATS, options: natsConnection(config, 'orders-service/core') }]),
      ],
      controllers: [OrdersController, InventoryEventsController, HealthController],
      providers: [{ provide: OrdersRepository, useFactory: () => new OrdersRepository(config.dbPath) }],
    })
    class OrdersAppModule {}
    return OrdersAppModule;
  }
}
